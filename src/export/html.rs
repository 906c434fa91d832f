//! The standalone HTML report: one file that opens anywhere, offline, with every face, stills
//! strip and chart inlined (images as data: URIs, charts as SVG). What the prototype's HTML
//! export was, with faces, intervals and charts. Written with maud: the markup is checked when
//! it compiles, and every value put into it is escaped unless marked as trusted markup.

use std::path::Path;

use base64::Engine as _;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::ExportError;
use crate::report::{self, CreatorSummary, RunData, is_web_url};
use crate::store::{RunId, Store};

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;color:#222;margin:0;background:#f5f6f8}\
main{max-width:1100px;margin:0 auto;padding:24px}section{background:#fff;border-radius:10px;padding:18px 22px;margin:0 0 18px;box-shadow:0 1px 3px #0002}\
h1{margin:0 0 4px}table{border-collapse:collapse;width:100%}th,td{padding:6px 8px;border-bottom:1px solid #e6e8eb;text-align:left;vertical-align:middle}\
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}img.face{width:56px;height:56px;object-fit:cover;border-radius:8px}\
img.stills{max-width:420px;width:100%;height:auto;border-radius:4px}.muted{color:#667}.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}\
svg.chart{width:100%;height:auto}.tag{font-size:12px;background:#eef;border-radius:4px;padding:1px 6px;margin-left:6px}";

fn perf(value: f64) -> String {
    if value.is_finite() { format!("{value:.3}") } else { "–".to_string() }
}

/// A JPEG from the data directory as a data: URI; None if the file is missing.
fn inline_jpeg(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    Some(format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
}

pub fn html_report(store: &Store, run: RunId, data_dir: &Path) -> Result<String, ExportError> {
    let dataset = store.dataset(store.run(run)?.dataset_id)?;
    let data = report::load(store, run)?;
    let charts = report::charts(store, run, &data)?;
    let faces_dir = crate::pipeline::faces_dir(data_dir);
    let stills_dir = crate::pipeline::stills_dir(data_dir);
    let title = format!("{} · run {run}", dataset.name);
    let people = data.creators.iter().filter(|c| c.key.is_some() && !c.hidden).count();
    let charts = [
        Some(&charts.top_creators),
        Some(&charts.distribution),
        Some(&charts.mean_vs_ads),
        charts.face_map.as_ref(),
        charts.over_time.as_ref(),
    ];
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { main {
                section {
                    h1 { (dataset.name) }
                    p.muted {
                        "Influencer Performance System report · run " (run) " · " (data.ads.len()) " ads · "
                        (data.grouping.videos.len()) " unique videos · " (people) " creators on camera"
                    }
                }
                section {
                    h2 { "Charts" }
                    div.charts {
                        // plotters' SVG, made by this program; it escapes every text it draws.
                        @for svg in charts.into_iter().flatten() { figure { (PreEscaped(svg)) } }
                    }
                }
                (creators_table(&data, &faces_dir))
                (videos_table(&data, store, &stills_dir))
            } }
        }
    };
    Ok(page.into_string())
}

fn creators_table(data: &RunData, faces_dir: &Path) -> Markup {
    let has_spend = data.creators.iter().any(|c| c.stats.spend_weighted_mean.is_some());
    html! {
        section {
            h2 { "Creators" }
            p.muted { "Ranked by the mean pulled toward the mean of all ads, the more the fewer ads a creator has (empirical Bayes); the raw mean is beside it." }
            table #creators {
                thead { tr {
                    th { "Creator" } th.num { "Unique videos" } th.num { "Ads" } th.num { "Ranked mean" }
                    th.num { "Mean" } th.num { "95 % CI" } th.num { "Median" }
                    @if has_spend { th.num { "Spend-weighted mean" } }
                    th { "Best video" }
                } }
                tbody {
                    @for c in data.creators.iter().filter(|c| !c.hidden) { (creator_row(c, has_spend, faces_dir)) }
                }
            }
        }
    }
}

fn creator_row(c: &CreatorSummary, has_spend: bool, faces_dir: &Path) -> Markup {
    let face = c.face_file.as_ref().and_then(|f| inline_jpeg(&faces_dir.join(f)));
    let ci = c.stats.ci95.map_or_else(|| "–".to_string(), |(lo, hi)| format!("{} – {}", perf(lo), perf(hi)));
    let best = c.best_video.map_or_else(|| "–".to_string(), |(v, mean)| format!("#{v} ({})", perf(mean)));
    html! {
        tr {
            td {
                @if let Some(src) = face {
                    img.face src=(src) alt={ "Face of " (c.label) } width="56" height="56";
                    " "
                }
                (c.label)
                @if c.still { span.tag { "still face" } }
            }
            td.num { (c.videos.len()) }
            td.num { (c.stats.ads) }
            td.num { (perf(c.shrunk_mean)) }
            td.num { (perf(c.stats.mean)) }
            td.num { (ci) }
            td.num { (perf(c.stats.median)) }
            @if has_spend { td.num { (c.stats.spend_weighted_mean.map_or_else(|| "–".to_string(), perf)) } }
            td { (best) }
        }
    }
}

fn videos_table(data: &RunData, store: &Store, stills_dir: &Path) -> Markup {
    let mut videos: Vec<_> = data.grouping.videos.iter().filter(|v| data.video_stats.contains_key(&v.id)).collect();
    videos.sort_by_key(|v| std::cmp::Reverse(data.video_stats.get(&v.id).map_or(0, |s| s.ads)));
    html! {
        section {
            h2 { "Unique videos" }
            table #videos {
                thead { tr {
                    th { "Video" } th { "Stills" } th { "Creator" } th.num { "Ads" } th.num { "Mean" } th { "URLs" }
                } }
                tbody {
                    @for video in videos {
                        @let stats = &data.video_stats[&video.id];
                        @let stills = video
                            .sha256s
                            .iter()
                            .find_map(|sha| store.stills_file(sha).ok().flatten())
                            .and_then(|f| inline_jpeg(&stills_dir.join(f)));
                        @let creator = video
                            .creator
                            .and_then(|id| data.grouping.creators.iter().find(|c| c.id == id))
                            .map_or(report::NO_CREATOR_LABEL, |c| c.label.as_str());
                        tr {
                            td { "#" (video.id) }
                            td { @if let Some(src) = stills { img.stills src=(src) alt={ "Stills of video " (video.id) }; } }
                            td { (creator) }
                            td.num { (stats.ads) }
                            td.num { (perf(stats.mean)) }
                            td {
                                @for (i, url) in data.urls.get(&video.id).into_iter().flatten().enumerate() {
                                    @if i > 0 { br; }
                                    // Only http(s) addresses become links: never `javascript:` or `data:`.
                                    @if is_web_url(url) { a href=(url) rel="noopener noreferrer nofollow" { (url) } } @else { (url) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
