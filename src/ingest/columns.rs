//! Which column holds what: header names are matched case- and punctuation-insensitively, so
//! `Video URL`, `video_url` and `VIDEO-URL` all name the video URL column.

use serde::{Deserialize, Serialize};

use super::IngestError;

/// A field IPS reads from a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    VideoUrl,
    Performance,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::VideoUrl => "video URL",
            Field::Performance => "performance",
        }
    }

    fn examples(self) -> &'static str {
        match self {
            Field::VideoUrl => "`Video URL`, `url` or `video link`",
            Field::Performance => "`Performance`, `ROAS` or `score`",
        }
    }

    /// Normalised header names, best first.
    fn candidates(self) -> &'static [&'static str] {
        match self {
            Field::VideoUrl => {
                &["videourl", "videolink", "videouri", "adurl", "creativeurl", "asseturl", "url", "link", "video"]
            }
            Field::Performance => &["performance", "performancescore", "roas", "purchaseroas", "score", "perf"],
        }
    }
}

/// The index and header of each column IPS reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub video_url: (usize, String),
    pub performance: (usize, String),
}

pub(super) fn normalise(header: &str) -> String {
    header.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

pub(super) fn detect(headers: &[String]) -> Result<ColumnMapping, IngestError> {
    if headers.iter().any(|h| looks_like_data(h)) {
        return Err(IngestError::MissingHeader);
    }
    Ok(ColumnMapping { video_url: find(headers, Field::VideoUrl)?, performance: find(headers, Field::Performance)? })
}

fn find(headers: &[String], field: Field) -> Result<(usize, String), IngestError> {
    let normalised: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
    for candidate in field.candidates() {
        let mut hits = normalised.iter().enumerate().filter(|(_, h)| h == candidate);
        if let Some((index, _)) = hits.next() {
            if let Some((other, _)) = hits.next() {
                return Err(IngestError::AmbiguousColumn {
                    wanted: field.label(),
                    first: headers[index].clone(),
                    second: headers[other].clone(),
                });
            }
            return Ok((index, headers[index].clone()));
        }
    }
    Err(IngestError::MissingColumn {
        wanted: field.label(),
        examples: field.examples(),
        found: headers.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", "),
    })
}

/// A header cell that is a URL or a number means the file has no header row.
fn looks_like_data(header: &str) -> bool {
    let h = header.trim();
    let lower = h.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || h.parse::<f64>().is_ok()
}
