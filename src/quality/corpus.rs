//! The labelled replay corpus, analysed once and grouped as often as a measurement needs: with
//! other settings, or over one [`Half`] of its files only.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::Half;
use super::PairScore;
use super::creators::{self, CreatorScore};
use super::labels::{FaceLabels, LabelError, file_stem};
use super::videos::{self, SameAdLabels};
use crate::grouping::{self, AdVideo, Grouping, GroupingRules, VideoFacts};
use crate::pipeline::{PipelineError, PipelineSettings};
use crate::store::{RunId, Store};

/// Where the committed labels of the replay corpus are.
pub fn labels_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/labels")
}

/// Both label files of the replay corpus.
pub struct CorpusLabels {
    pub faces: FaceLabels,
    pub same_ad: SameAdLabels,
}

impl CorpusLabels {
    pub fn load() -> Result<Self, LabelError> {
        let dir = labels_dir();
        Ok(Self {
            faces: FaceLabels::load(&dir.join("corpus_faces.toml"))?,
            same_ad: SameAdLabels::load(&dir.join("corpus_same_ad.toml"))?,
        })
    }
}

/// A finished corpus run's ads and facts, with each content hash's corpus file name.
pub struct AnalysedCorpus {
    pub ads: Vec<AdVideo>,
    pub facts: HashMap<String, VideoFacts>,
    /// Content hash → file name as the labels name it (`c07`).
    pub names: HashMap<String, String>,
}

/// How one grouping scores.
#[derive(Debug, Clone)]
pub struct Scores {
    pub creators: CreatorScore,
    pub same_ad: PairScore,
    pub unique_videos: usize,
}

impl AnalysedCorpus {
    /// The facts of `run` (a run of the corpus's assignment), and the corpus file names found by
    /// hashing `corpus_dir/videos/*.mp4`.
    pub fn load(store: &Store, run: RunId, corpus_dir: &Path) -> Result<Self, PipelineError> {
        let (ads, facts) = crate::pipeline::run_facts(store, run)?;
        let mut names = HashMap::new();
        let dir = corpus_dir.join("videos");
        let entries = std::fs::read_dir(&dir).map_err(|e| PipelineError::Io(format!("{}: {e}", dir.display())))?;
        for entry in entries.flatten() {
            let bytes = std::fs::read(entry.path()).map_err(|e| PipelineError::Io(e.to_string()))?;
            let name = entry.file_name().to_string_lossy().to_string();
            names.insert(crate::hash::sha256_hex(&bytes), file_stem(&name).to_string());
        }
        Ok(Self { ads, facts, names })
    }

    /// The ads whose file is in `half` (all of them for None).
    pub fn ads_in(&self, half: Option<Half>) -> Vec<AdVideo> {
        self.ads
            .iter()
            .filter(|ad| {
                half.is_none() || ad.sha256.as_ref().and_then(|s| self.names.get(s)).and_then(|n| Half::of(n)) == half
            })
            .cloned()
            .collect()
    }

    /// Groups the ads of `half` (all for None) with `settings`, as the group stage would
    /// without corrections.
    pub fn group(&self, half: Option<Half>, settings: &PipelineSettings) -> Grouping {
        let rules = GroupingRules { similarity: &settings.similarity, creators: &settings.creators, edits: &[] };
        grouping::group(&self.ads_in(half), &self.facts, rules)
    }

    /// Scores a grouping against the labels.
    pub fn score(&self, grouping: &Grouping, labels: &CorpusLabels) -> Scores {
        let tracks: HashMap<String, Vec<crate::faces::FaceTrack>> =
            self.facts.iter().map(|(sha, f)| (sha.clone(), f.tracks.clone())).collect();
        Scores {
            creators: creators::score(grouping, &tracks, &self.names, &labels.faces),
            same_ad: videos::score(grouping, &self.names, &labels.same_ad),
            unique_videos: grouping.videos.len(),
        }
    }
}
