//! The standalone HTML report: one file that opens anywhere, offline, with every face, stills
//! strip and chart inlined (images as data: URIs, charts as SVG). What the prototype's HTML
//! export was, with faces, intervals and charts.

use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;

use super::ExportError;
use crate::report::{self, CreatorSummary, RunData, is_web_url};
use crate::store::{RunId, Store};

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;color:#222;margin:0;background:#f5f6f8}\
main{max-width:1100px;margin:0 auto;padding:24px}section{background:#fff;border-radius:10px;padding:18px 22px;margin:0 0 18px;box-shadow:0 1px 3px #0002}\
h1{margin:0 0 4px}table{border-collapse:collapse;width:100%}th,td{padding:6px 8px;border-bottom:1px solid #e6e8eb;text-align:left;vertical-align:middle}\
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}img.face{width:56px;height:56px;object-fit:cover;border-radius:8px}\
img.stills{max-width:420px;width:100%;height:auto;border-radius:4px}.muted{color:#667}.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}\
svg.chart{width:100%;height:auto}.tag{font-size:12px;background:#eef;border-radius:4px;padding:1px 6px;margin-left:6px}";

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

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

    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>",
        escape(&title)
    );
    let people = data.creators.iter().filter(|c| c.key.is_some() && !c.hidden).count();
    let _ = write!(
        html,
        "<section><h1>{}</h1><p class=\"muted\">Influencer Performance System report · run {run} · {} ads · {} unique videos · {people} creators on camera</p></section>",
        escape(&dataset.name),
        data.ads.len(),
        data.grouping.videos.len(),
    );
    html.push_str("<section><h2>Charts</h2><div class=\"charts\">");
    for svg in [
        Some(&charts.top_creators),
        Some(&charts.distribution),
        Some(&charts.mean_vs_ads),
        charts.face_map.as_ref(),
        charts.over_time.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        // The charts are SVG made by plotters, which escapes every text it draws.
        let _ = write!(html, "<figure>{svg}</figure>");
    }
    html.push_str("</div></section>");
    creators_table(&mut html, &data, &faces_dir);
    videos_table(&mut html, &data, store, &stills_dir);
    html.push_str("</main></body></html>");
    Ok(html)
}

fn creators_table(html: &mut String, data: &RunData, faces_dir: &Path) {
    let has_spend = data.creators.iter().any(|c| c.stats.spend_weighted_mean.is_some());
    html.push_str(
        "<section><h2>Creators</h2><table id=\"creators\"><thead><tr><th>Creator</th><th class=\"num\">Unique videos</th>\
         <th class=\"num\">Ads</th><th class=\"num\">Mean</th><th class=\"num\">95 % CI</th><th class=\"num\">Median</th>",
    );
    if has_spend {
        html.push_str("<th class=\"num\">Spend-weighted mean</th>");
    }
    html.push_str("<th>Best video</th></tr></thead><tbody>");
    for c in data.creators.iter().filter(|c| !c.hidden) {
        creator_row(html, c, has_spend, faces_dir);
    }
    html.push_str("</tbody></table></section>");
}

fn creator_row(html: &mut String, c: &CreatorSummary, has_spend: bool, faces_dir: &Path) {
    let face = c.face_file.as_ref().and_then(|f| inline_jpeg(&faces_dir.join(f)));
    let face = face.map_or_else(String::new, |src| {
        format!("<img class=\"face\" src=\"{src}\" alt=\"Face of {}\" width=\"56\" height=\"56\"> ", escape(&c.label))
    });
    let ci = c.stats.ci95.map_or_else(|| "–".to_string(), |(lo, hi)| format!("{} – {}", perf(lo), perf(hi)));
    let still = if c.still { "<span class=\"tag\">still face</span>" } else { "" };
    let _ = write!(
        html,
        "<tr><td>{face}{}{still}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{ci}</td><td class=\"num\">{}</td>",
        escape(&c.label),
        c.videos.len(),
        c.stats.ads,
        perf(c.stats.mean),
        perf(c.stats.median),
    );
    if has_spend {
        let _ = write!(
            html,
            "<td class=\"num\">{}</td>",
            c.stats.spend_weighted_mean.map_or_else(|| "–".to_string(), perf)
        );
    }
    let best = c.best_video.map_or_else(|| "–".to_string(), |(v, mean)| format!("#{v} ({})", perf(mean)));
    let _ = write!(html, "<td>{best}</td></tr>");
}

fn videos_table(html: &mut String, data: &RunData, store: &Store, stills_dir: &Path) {
    html.push_str(
        "<section><h2>Unique videos</h2><table id=\"videos\"><thead><tr><th>Video</th><th>Stills</th><th>Creator</th>\
         <th class=\"num\">Ads</th><th class=\"num\">Mean</th><th>URLs</th></tr></thead><tbody>",
    );
    let mut videos: Vec<_> = data.grouping.videos.iter().collect();
    videos.sort_by_key(|v| std::cmp::Reverse(data.video_stats.get(&v.id).map_or(0, |s| s.ads)));
    for video in videos {
        let Some(stats) = data.video_stats.get(&video.id) else { continue };
        let stills = video
            .sha256s
            .iter()
            .find_map(|sha| store.stills_file(sha).ok().flatten())
            .and_then(|f| inline_jpeg(&stills_dir.join(f)))
            .map_or_else(String::new, |src| {
                format!("<img class=\"stills\" src=\"{src}\" alt=\"Stills of video {}\">", video.id)
            });
        let creator = video
            .creator
            .and_then(|id| data.grouping.creators.iter().find(|c| c.id == id))
            .map_or_else(|| report::NO_CREATOR_LABEL.to_string(), |c| c.label.clone());
        let urls: String = data
            .urls
            .get(&video.id)
            .map(|list| {
                list.iter()
                    .map(|u| {
                        if is_web_url(u) {
                            format!("<a href=\"{0}\" rel=\"noopener noreferrer nofollow\">{0}</a>", escape(u))
                        } else {
                            escape(u)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("<br>")
            })
            .unwrap_or_default();
        let _ = write!(
            html,
            "<tr><td>#{}</td><td>{stills}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{urls}</td></tr>",
            video.id,
            escape(&creator),
            stats.ads,
            perf(stats.mean),
        );
    }
    html.push_str("</tbody></table></section>");
}
