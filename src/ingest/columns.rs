//! Which column holds what. Headers are matched case- and punctuation-insensitively, so
//! `Video URL`, `video_url` and `VIDEO-URL` all name the video URL column; the user can override
//! any field by naming the header (the upload's mapping step), or leave an optional one out.

use serde::{Deserialize, Serialize};

use super::IngestError;

/// A field IPS reads from a row. The first two are required; the others enrich the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    VideoUrl,
    Performance,
    Spend,
    Impressions,
    Date,
    Campaign,
    AdName,
    CreatorHandle,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::VideoUrl,
        Field::Performance,
        Field::Spend,
        Field::Impressions,
        Field::Date,
        Field::Campaign,
        Field::AdName,
        Field::CreatorHandle,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Field::VideoUrl => "video URL",
            Field::Performance => "performance",
            Field::Spend => "spend",
            Field::Impressions => "impressions",
            Field::Date => "date",
            Field::Campaign => "campaign",
            Field::AdName => "ad name",
            Field::CreatorHandle => "creator handle",
        }
    }

    /// The name used in forms and URLs.
    pub fn key(self) -> &'static str {
        match self {
            Field::VideoUrl => "video_url",
            Field::Performance => "performance",
            Field::Spend => "spend",
            Field::Impressions => "impressions",
            Field::Date => "date",
            Field::Campaign => "campaign",
            Field::AdName => "ad_name",
            Field::CreatorHandle => "creator_handle",
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }

    pub fn is_required(self) -> bool {
        matches!(self, Field::VideoUrl | Field::Performance)
    }

    fn examples(self) -> &'static str {
        match self {
            Field::VideoUrl => "`Video URL`, `url` or `video link`",
            Field::Performance => "`Performance`, `ROAS` or `score`",
            _ => "",
        }
    }

    /// Normalised header names, best first.
    fn candidates(self) -> &'static [&'static str] {
        match self {
            Field::VideoUrl => {
                &["videourl", "videolink", "videouri", "adurl", "creativeurl", "asseturl", "url", "link", "video"]
            }
            Field::Performance => &["performance", "performancescore", "roas", "purchaseroas", "score", "perf"],
            Field::Spend => &["spend", "amountspent", "amountspentusd", "cost", "adspend", "spendusd"],
            Field::Impressions => &["impressions", "impr", "views"],
            Field::Date => &["date", "day", "reportingstarts", "startdate", "launchdate", "launched"],
            Field::Campaign => &["campaign", "campaignname"],
            Field::AdName => &["adname", "ad", "creativename", "creative"],
            Field::CreatorHandle => &["creatorhandle", "creator", "influencer", "handle", "influencerhandle"],
        }
    }
}

/// One mapped column: its index and its header as the user wrote it.
pub type Column = (usize, String);

/// The column of each field IPS reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub video_url: Column,
    pub performance: Column,
    /// Optional fields found or chosen, in [`Field::ALL`] order.
    #[serde(default)]
    pub optional: Vec<(Field, Column)>,
}

impl ColumnMapping {
    pub fn column(&self, field: Field) -> Option<&Column> {
        match field {
            Field::VideoUrl => Some(&self.video_url),
            Field::Performance => Some(&self.performance),
            _ => self.optional.iter().find(|(f, _)| *f == field).map(|(_, c)| c),
        }
    }

    /// Whether column `index` is read as one of the fields.
    pub fn is_mapped(&self, index: usize) -> bool {
        Field::ALL.into_iter().any(|f| self.column(f).is_some_and(|c| c.0 == index))
    }
}

/// The user's choices: a header per field, or `None` for "not in this file". Fields not listed
/// are detected from the headers.
pub type ColumnChoices = Vec<(Field, Option<String>)>;

pub(super) fn normalise(header: &str) -> String {
    header.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

pub(super) fn detect(headers: &[String], choices: &ColumnChoices) -> Result<ColumnMapping, IngestError> {
    if headers.iter().any(|h| looks_like_data(h)) {
        return Err(IngestError::MissingHeader);
    }
    let mut resolved: Vec<(Field, Column)> = Vec::new();
    for field in Field::ALL {
        let column = match choices.iter().find(|(f, _)| *f == field) {
            Some((_, Some(header))) => Some(chosen(headers, field, header)?),
            Some((_, None)) if field.is_required() => {
                return Err(IngestError::MissingColumn {
                    wanted: field.label(),
                    examples: field.examples(),
                    found: found(headers),
                });
            }
            Some((_, None)) => None,
            None if field.is_required() => Some(find(headers, field)?),
            // An optional field is detected only when its header is unambiguous and not taken.
            None => find(headers, field).ok().filter(|c| resolved.iter().all(|(_, r)| r.0 != c.0)),
        };
        if let Some(column) = column {
            if let Some((other, _)) = resolved.iter().find(|(_, r)| r.0 == column.0) {
                return Err(IngestError::ColumnTwice { header: column.1, first: other.label(), second: field.label() });
            }
            resolved.push((field, column));
        }
    }
    let take = |field: Field, resolved: &mut Vec<(Field, Column)>| {
        let i = resolved.iter().position(|(f, _)| *f == field).expect("required fields are resolved above");
        resolved.remove(i).1
    };
    let video_url = take(Field::VideoUrl, &mut resolved);
    let performance = take(Field::Performance, &mut resolved);
    Ok(ColumnMapping { video_url, performance, optional: resolved })
}

fn chosen(headers: &[String], field: Field, header: &str) -> Result<Column, IngestError> {
    headers.iter().position(|h| h == header).map(|i| (i, headers[i].clone())).ok_or_else(|| {
        IngestError::UnknownColumn { wanted: field.label(), header: header.to_string(), found: found(headers) }
    })
}

fn find(headers: &[String], field: Field) -> Result<Column, IngestError> {
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
    Err(IngestError::MissingColumn { wanted: field.label(), examples: field.examples(), found: found(headers) })
}

fn found(headers: &[String]) -> String {
    headers.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ")
}

/// A header cell that is a URL or a number means the file has no header row.
fn looks_like_data(header: &str) -> bool {
    let h = header.trim();
    let lower = h.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || h.parse::<f64>().is_ok()
}
