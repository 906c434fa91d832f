//! The same-ad scorer: a grouping's unique videos against the same-ad labels.
//!
//! Over pairs of labelled files: "in the same unique video" against "the same ad by eye".
//! Labels (`corpus_same_ad.toml`) list the groups of files that are one ad, each with how its
//! files relate; a file in no group is an ad of its own. Pairs that merely look alike (same
//! product, same template, other footage) are listed too, as a reminder that they are different.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::PairScore;
use super::labels::LabelError;
use crate::grouping::Grouping;

/// How the files of a same-ad group relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdRelation {
    /// The same footage throughout: re-encoded, resized, zoomed, letterboxed, on a card,
    /// mirrored or trimmed.
    SameVideo,
    /// The same footage with another caption, price card, end card or last shot.
    OtherOverlay,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdsFile {
    #[serde(default)]
    ad: Vec<AdEntry>,
    #[serde(default)]
    hook_variants: Vec<Group>,
    #[serde(default)]
    different: Vec<Group>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdEntry {
    files: Vec<String>,
    relation: AdRelation,
    #[serde(default)]
    #[allow(dead_code)]
    evidence: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    files: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)]
    evidence: String,
}

/// Which labelled files are one ad.
#[derive(Debug, Clone, Default)]
pub struct SameAdLabels {
    /// File → index of its ad group (files of no group are absent).
    ad_of_file: HashMap<String, usize>,
    /// Each group's relation.
    pub relations: Vec<AdRelation>,
    /// Files that share a body behind different openings (hook variants: not one ad).
    pub hook_variants: Vec<Vec<String>>,
    /// Files that look alike but are different ads.
    pub different: Vec<Vec<String>>,
}

impl SameAdLabels {
    pub fn load(path: &Path) -> Result<Self, LabelError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| LabelError::Read(name.clone(), e.to_string()))?;
        Self::parse(&text).map_err(|e| LabelError::Invalid(name, e))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let file: AdsFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut labels = SameAdLabels::default();
        for (i, ad) in file.ad.iter().enumerate() {
            if ad.files.len() < 2 {
                return Err(format!("ad group {} has fewer than two files", i + 1));
            }
            for f in &ad.files {
                if labels.ad_of_file.insert(f.clone(), i).is_some() {
                    return Err(format!("file {f} is in two ad groups: merge them"));
                }
            }
            labels.relations.push(ad.relation);
        }
        labels.hook_variants = file.hook_variants.into_iter().map(|g| g.files).collect();
        labels.different = file.different.into_iter().map(|g| g.files).collect();
        Ok(labels)
    }

    /// Whether two files are the same ad.
    pub fn same_ad(&self, a: &str, b: &str) -> bool {
        a == b || matches!((self.ad_of_file.get(a), self.ad_of_file.get(b)), (Some(x), Some(y)) if x == y)
    }

    /// The ad group of a file: its own name when it is in none.
    fn ad_key(&self, file: &str) -> String {
        match self.ad_of_file.get(file) {
            Some(i) => format!("#{i}"),
            None => file.to_string(),
        }
    }
}

/// Pairwise precision and recall of the grouping's unique videos over the files in `names`
/// (content hash → file name as labelled), against the labels.
pub fn score(grouping: &Grouping, names: &HashMap<String, String>, labels: &SameAdLabels) -> PairScore {
    let items: Vec<(Option<u32>, Option<String>)> = grouping
        .videos
        .iter()
        .flat_map(|v| v.sha256s.iter().map(move |sha| (v.id, sha)))
        .filter_map(|(video, sha)| Some((Some(video), Some(labels.ad_key(names.get(sha)?)))))
        .collect();
    PairScore::of(&items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_refusals() {
        let labels = SameAdLabels::parse(
            r#"
[[ad]]
files = ["c00", "c23"]
relation = "same_video"

[[ad]]
files = ["c04", "c41", "c47"]
relation = "other_overlay"

[[different]]
files = ["c07", "c14"]
"#,
        )
        .unwrap();
        assert!(labels.same_ad("c00", "c23") && labels.same_ad("c41", "c04") && labels.same_ad("c09", "c09"));
        assert!(!labels.same_ad("c00", "c04") && !labels.same_ad("c07", "c14"));
        assert_eq!(labels.relations, vec![AdRelation::SameVideo, AdRelation::OtherOverlay]);
        let twice = "[[ad]]\nfiles = [\"a\", \"b\"]\nrelation = \"same_video\"\n[[ad]]\nfiles = [\"b\", \"c\"]\nrelation = \"same_video\"";
        assert!(SameAdLabels::parse(twice).unwrap_err().contains("two ad groups"));
    }
}
