//! A run's report: the influencer table (sorted, searched, filtered and paged on the server),
//! its charts, the Videos page, and the creator and video detail pages.

use serde::{Deserialize, Serialize};

use super::{RunView, StageView};

/// Rows per page of the influencer table.
pub const PAGE_SIZE: u32 = 50;

/// How the influencer table is sorted, searched, filtered and paged; kept in the page's URL
/// (`?sort=ads&dir=asc&q=ana&min_ads=2&show=all&page=2`) so a view can be shared and reloaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableQuery {
    pub sort: SortKey,
    pub desc: bool,
    pub q: String,
    pub min_ads: u32,
    pub show: Show,
    /// 1-based.
    pub page: u32,
}

impl Default for TableQuery {
    fn default() -> Self {
        TableQuery { sort: SortKey::Rank, desc: false, q: String::new(), min_ads: 0, show: Show::Visible, page: 1 }
    }
}

/// What the influencer table is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    /// The report's own order: people by their ranked (shrunk) mean, then still faces, then
    /// no creator.
    Rank,
    Creator,
    Videos,
    Ads,
    Mean,
    /// By the lower end of the 95 % interval.
    Ci,
    Median,
    SpendMean,
    Best,
}

impl SortKey {
    const ALL: [SortKey; 9] = [
        SortKey::Rank,
        SortKey::Creator,
        SortKey::Videos,
        SortKey::Ads,
        SortKey::Mean,
        SortKey::Ci,
        SortKey::Median,
        SortKey::SpendMean,
        SortKey::Best,
    ];

    /// Its word in the page's URL.
    pub fn word(self) -> &'static str {
        match self {
            SortKey::Rank => "rank",
            SortKey::Creator => "creator",
            SortKey::Videos => "videos",
            SortKey::Ads => "ads",
            SortKey::Mean => "mean",
            SortKey::Ci => "ci",
            SortKey::Median => "median",
            SortKey::SpendMean => "spend_mean",
            SortKey::Best => "best",
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.word() == word)
    }

    /// Names and the report's order start at the top (A first); numbers start high.
    fn starts_descending(self) -> bool {
        !matches!(self, SortKey::Creator | SortKey::Rank)
    }
}

/// Which creators the table lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Show {
    Visible,
    Hidden,
    All,
}

impl Show {
    /// Its word in the page's URL and the form's select.
    pub fn word(self) -> &'static str {
        match self {
            Show::Visible => "visible",
            Show::Hidden => "hidden",
            Show::All => "all",
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        [Show::Visible, Show::Hidden, Show::All].into_iter().find(|s| s.word() == word)
    }
}

impl TableQuery {
    /// From URL query parameters; anything unknown or malformed falls back to the default.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Self {
        let default = TableQuery::default();
        let sort = get("sort").and_then(|s| SortKey::from_word(&s)).unwrap_or(default.sort);
        let show = get("show").and_then(|s| Show::from_word(&s)).unwrap_or(default.show);
        TableQuery {
            desc: get("dir").map_or(sort.starts_descending(), |d| d == "desc"),
            sort,
            q: get("q").map(|q| q.chars().take(200).collect()).unwrap_or_default(),
            min_ads: get("min_ads").and_then(|m| m.parse().ok()).unwrap_or(0),
            show,
            page: get("page").and_then(|p| p.parse().ok()).filter(|p| *p >= 1).unwrap_or(1),
        }
    }

    /// The link to this view of run `run_id`'s report.
    pub fn href(&self, run_id: i64) -> String {
        let mut parts =
            vec![format!("sort={}", self.sort.word()), format!("dir={}", if self.desc { "desc" } else { "asc" })];
        if !self.q.is_empty() {
            parts.push(format!("q={}", encode(&self.q)));
        }
        if self.min_ads > 0 {
            parts.push(format!("min_ads={}", self.min_ads));
        }
        if self.show != Show::Visible {
            parts.push(format!("show={}", self.show.word()));
        }
        if self.page > 1 {
            parts.push(format!("page={}", self.page));
        }
        format!("/runs/{run_id}?{}", parts.join("&"))
    }

    /// The view sorted by `key`: the same key again flips the direction; a new key starts in its
    /// natural direction (numbers high first, names A first). Back to page 1.
    pub fn sorted_by(&self, key: SortKey) -> TableQuery {
        let desc = if self.sort == key { !self.desc } else { key.starts_descending() };
        TableQuery { sort: key, desc, page: 1, ..self.clone() }
    }

    pub fn at_page(&self, page: u32) -> TableQuery {
        TableQuery { page, ..self.clone() }
    }
}

/// Percent-encoding for a query value (what `encodeURIComponent` keeps).
fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One row of the influencer table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatorRow {
    /// None: the "No creator on camera" row.
    pub creator_id: Option<u32>,
    pub label: String,
    /// Path of the face image on this server.
    pub face_url: Option<String>,
    pub unique_videos: u32,
    pub ads: u32,
    pub mean: f64,
    /// The mean pulled toward the mean of all ads, the more the fewer ads (what `rank` sorts by).
    pub shrunk_mean: f64,
    pub median: f64,
    pub std_dev: Option<f64>,
    /// 95 % confidence interval of the mean; None for a single ad.
    pub ci95: Option<(f64, f64)>,
    /// Σ performance·spend / Σ spend, when the file has spend.
    pub spend_weighted_mean: Option<f64>,
    pub spend: Option<f64>,
    /// The face never changed while filmed: most likely a photo printed on the product.
    pub still: bool,
    pub hidden: bool,
    pub best: f64,
    pub worst: f64,
    /// The unique video with the best mean, and that mean.
    pub best_video: Option<(u32, f64)>,
    /// How sure IPS is that these faces are one person (None for "No creator on camera").
    pub confidence: Option<Confidence>,
}

/// How sure IPS is about a creator: how alike its faces are, and how many faces of its videos
/// were left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confidence {
    pub faces: u32,
    /// Mean descriptor distance of its faces to their centre (0 for one face).
    pub cohesion: f32,
    pub left_out: u32,
    /// Worth a look: its faces are far from alike, or faces of its videos were left out.
    pub check: bool,
}

/// A face the machine did not count as a person, with why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeftOutFace {
    pub key: super::FaceKey,
    pub face_url: Option<String>,
    pub video_id: u32,
    pub time_s: f64,
    /// `print`, `unclustered` or `incidental`.
    pub kind: String,
    pub why: String,
    /// Joined to this creator although not clustered (unambiguously closest).
    pub attached_to: Option<u32>,
}

/// "Same person?": two creators IPS is unsure about, best faces side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamePersonQuestion {
    pub a: CreatorChoice,
    pub b: CreatorChoice,
    pub distance: f32,
}

impl CreatorRow {
    /// The path of the creator's page (`none` for the no-creator group).
    pub fn href(&self, run_id: i64) -> String {
        format!("/runs/{run_id}/creators/{}", self.creator_id.map_or_else(|| "none".to_string(), |id| id.to_string()))
    }
}

/// One page of the influencer table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatorTable {
    pub rows: Vec<CreatorRow>,
    /// Rows matching the search and filters, over all pages.
    pub matching: u32,
    /// Rows of the run, hidden ones included.
    pub total: u32,
    pub hidden: u32,
    pub pages: u32,
    pub query: TableQuery,
    /// Whether any ad has a spend (the spend-weighted column is shown).
    pub has_spend: bool,
}

/// The report's charts, as inline SVG made on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartsView {
    pub top_creators: String,
    pub distribution: String,
    pub mean_vs_ads: String,
    pub face_map: Option<String>,
    pub over_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub run: RunView,
    pub dataset_id: i64,
    pub dataset_name: String,
    pub is_demo: bool,
    pub stages: Vec<StageView>,
    pub table: CreatorTable,
    /// None while the run is active or when it found no creators.
    pub charts: Option<ChartsView>,
    pub creators_on_camera: u32,
    pub unique_videos: u32,
    /// Ads whose video failed to download or, downloaded, could not be decoded.
    pub rows_failed: u32,
    pub rows_rejected: u32,
    /// The run's corrections (None while it is not finished: edits wait for the end).
    pub edits: Option<super::EditsView>,
    /// Creator pairs that may be one person, nearest first.
    pub questions: Vec<SamePersonQuestion>,
    /// Faces printed on products (photos, engravings, screens): not creators.
    pub faces_on_products: Vec<LeftOutFace>,
}

/// One unique video of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoRow {
    pub video_id: u32,
    pub hook_family: u32,
    /// Path of the stills strip on this server.
    pub stills_url: Option<String>,
    /// Distinct files (near-duplicates) that are this video.
    pub files: u32,
    pub ads: u32,
    pub mean: f64,
    pub median: f64,
    pub ci95: Option<(f64, f64)>,
    pub spend_weighted_mean: Option<f64>,
    pub creator_id: Option<u32>,
    pub creator: Option<String>,
    /// The http(s) URLs that show it; other URLs are in `other_urls`.
    pub urls: Vec<String>,
    pub other_urls: Vec<String>,
    /// The most alike other videos by CLIP: (video id, cosine similarity), best first; None
    /// when CLIP is off.
    pub similar: Option<Vec<(u32, f32)>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideosReport {
    pub run_id: i64,
    pub dataset_name: String,
    /// Families with more than one unique video: the same body behind different hooks.
    pub hook_families: Vec<Vec<VideoRow>>,
    /// Every unique video, most ads first.
    pub videos: Vec<VideoRow>,
    /// Whether this run had CLIP embeddings (similar creatives).
    pub clip_on: bool,
    /// The run's edit version, and whether edits can be made.
    pub version: i64,
    pub editable: bool,
}

/// One ad (input row) on a detail page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdView {
    pub row: u32,
    pub url: String,
    /// Whether `url` may be a link (http or https).
    pub linkable: bool,
    pub performance: f64,
    pub spend: Option<f64>,
    pub date: Option<String>,
    pub campaign: Option<String>,
    pub ad_name: Option<String>,
    pub status: String,
    pub video_id: Option<u32>,
}

/// One face track of a creator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackFace {
    pub key: super::FaceKey,
    /// This track's crop is the creator's face.
    pub is_face: bool,
    pub face_url: String,
    pub video_id: Option<u32>,
    pub first_s: f64,
    pub last_s: f64,
    pub frames: u32,
    /// Distance of its descriptor to the creator's centre: the least typical face comes first.
    pub distance: f32,
    /// Attached to the creator (an unclear face unambiguously closest to it), not clustered.
    pub attached: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatorDetail {
    pub run_id: i64,
    pub dataset_name: String,
    pub creator: CreatorRow,
    pub faces: Vec<TrackFace>,
    pub videos: Vec<VideoRow>,
    /// Videos where the creator is on camera beside someone more present.
    pub appears_in: Vec<u32>,
    pub ads: Vec<AdView>,
    /// This creator's ads as a strip plot.
    pub distribution: Option<String>,
    /// The run's edit version (edits are checked against it) and whether edits are possible.
    pub version: i64,
    pub editable: bool,
    /// The run's other creators, for "move to".
    pub others: Vec<CreatorChoice>,
}

/// A creator to pick from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatorChoice {
    pub id: u32,
    pub label: String,
    pub face_url: Option<String>,
    pub hidden: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoDetail {
    pub run_id: i64,
    pub dataset_name: String,
    pub video: VideoRow,
    pub ads: Vec<AdView>,
    /// The other hooks in front of the same body.
    pub family: Vec<VideoRow>,
    /// Other creators on camera in it.
    pub also_on_camera: Vec<(u32, String)>,
    /// Faces in it not counted as people: prints, unclear and passing faces, with why.
    pub unclustered: Vec<LeftOutFace>,
    /// Its files, and files of other videos its links name.
    pub files: Vec<VideoFile>,
    /// Why its files are one video, and why it shares a body with others: the evidence.
    pub links: Vec<LinkView>,
    /// The run's edit version, and whether edits can be made.
    pub version: i64,
    pub editable: bool,
}

/// One file (content) of a run, for the evidence of a join.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoFile {
    pub sha256: String,
    /// The unique video it is in.
    pub video_id: u32,
    /// One URL that gave it.
    pub url: Option<String>,
    /// Every sampled frame side by side, each `frame_width` × `frame_height` pixels.
    pub frames_url: Option<String>,
    pub frame_width: u32,
    pub frame_height: u32,
}

/// How two files were found to be one video, or to share a body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkView {
    /// `copy`, `other_overlay`, `same_body`, `clip` or `user`.
    pub kind: String,
    /// In words, with the map found ("zoomed in 1.4×", "mirrored").
    pub what: String,
    pub a: String,
    pub b: String,
    pub frames: Vec<FramePairView>,
}

/// Two matched frames: their indices in each file's frame sheet and times, and why they match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FramePairView {
    pub a: u32,
    pub b: u32,
    pub a_s: f64,
    pub b_s: f64,
    pub how: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trips_through_its_link() {
        let query =
            TableQuery { sort: SortKey::Ads, desc: false, q: "ana & bo".into(), min_ads: 2, show: Show::All, page: 3 };
        let href = query.href(7);
        assert_eq!(href, "/runs/7?sort=ads&dir=asc&q=ana%20%26%20bo&min_ads=2&show=all&page=3");
        let params: Vec<(String, String)> = href
            .split_once('?')
            .unwrap()
            .1
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), v.replace("%20", " ").replace("%26", "&"))
            })
            .collect();
        let back = TableQuery::from_params(|k| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()));
        assert_eq!(back, query);
    }

    #[test]
    fn bad_parameters_fall_back_to_the_default_view() {
        let get = |k: &str| match k {
            "sort" => Some("DROP TABLE".to_string()),
            "page" => Some("0".to_string()),
            "min_ads" => Some("many".to_string()),
            "show" => Some("<script>".to_string()),
            _ => None,
        };
        assert_eq!(TableQuery::from_params(get), TableQuery::default());
    }

    #[test]
    fn sorting_by_the_same_key_flips_and_resets_the_page() {
        let query = TableQuery::default().at_page(4);
        let by_ads = query.sorted_by(SortKey::Ads);
        assert_eq!((by_ads.sort, by_ads.desc, by_ads.page), (SortKey::Ads, true, 1));
        assert!(!by_ads.sorted_by(SortKey::Ads).desc);
        assert!(!query.sorted_by(SortKey::Creator).desc, "names sort A first");
        for key in SortKey::ALL {
            assert_eq!(SortKey::from_word(key.word()), Some(key));
        }
    }
}
