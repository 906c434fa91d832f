//! The report's charts, drawn with plotters into SVG text: crisp at any zoom, inlined in the page
//! and in the standalone HTML report, and cheap to cache. Each function takes plain data and
//! returns one `<svg>` element that scales to its container's width.

mod pca;

pub use pca::pca_2d;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

const WIDTH: u32 = 720;
const FONT: &str = "sans-serif";
const INK: RGBColor = RGBColor(0x33, 0x3a, 0x44);
const GRID: RGBColor = RGBColor(0xe3, 0xe6, 0xea);
const ACCENT: RGBColor = RGBColor(0x2f, 0x6f, 0xde);
/// Tableau 10: distinguishable, and kind to the colour-blind.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xba, 0xb0, 0xac),
];
const MAX_LABEL: usize = 22;

#[derive(Debug, thiserror::Error)]
#[error("drawing the {chart} chart failed: {message}")]
pub struct ChartError {
    chart: &'static str,
    message: String,
}

/// A creator's mean performance as the charts need it.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatorMean {
    pub label: String,
    pub mean: f64,
    /// 95 % confidence interval; None for a single ad.
    pub ci95: Option<(f64, f64)>,
    pub ads: u32,
}

/// One face track on the face map.
#[derive(Debug, Clone, PartialEq)]
pub struct FacePoint {
    pub descriptor: Vec<f32>,
    /// Index into the map's labels: the creator the track belongs to.
    pub group: usize,
}

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn clip_label(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL {
        label.to_string()
    } else {
        format!("{}…", label.chars().take(MAX_LABEL - 1).collect::<String>())
    }
}

/// Draws into an SVG string of `height` px, then makes the element fluid (width 100 %, the
/// aspect kept by its viewBox) and labelled for screen readers.
fn render(
    chart: &'static str,
    title: &str,
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| ChartError { chart, message: e.to_string() })?;
        draw(&root).map_err(|message| ChartError { chart, message })?;
        root.present().map_err(|e| ChartError { chart, message: e.to_string() })?;
    }
    let head = format!(r#"<svg width="{WIDTH}" height="{height}" "#);
    let escaped: String = title.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;");
    Ok(svg.replacen(
        &head,
        &format!(r#"<svg class="chart" role="img" aria-label="{escaped}" preserveAspectRatio="xMidYMid meet" "#),
        1,
    ))
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The label of the row drawn at height `y`: the first item is drawn on top (at n − 1).
fn row_label(labels: &[String], y: f64) -> String {
    let i = y.round();
    let n = labels.len();
    if (y - i).abs() < 0.01 && i >= 0.0 && (i as usize) < n {
        labels[n - 1 - i as usize].clone()
    } else {
        String::new()
    }
}

type RowsChart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A chart with one labelled row per item (the first on top) and performance along x: the
/// frame the top-creators and distribution charts share.
fn rows_chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    (lo, hi): (f64, f64),
    labels: &[String],
    x_desc: &str,
) -> Result<RowsChart<'a, 'b>, String> {
    let n = labels.len();
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(46)
        .y_label_area_size(170)
        .build_cartesian_2d(lo..hi, -0.6..(n as f64 - 0.4))
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .y_labels(n.max(1))
        .y_label_formatter(&|y| row_label(labels, *y))
        .x_desc(x_desc)
        .label_style((FONT, 16).into_font().color(&INK))
        .axis_desc_style((FONT, 16).into_font().color(&INK))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// Padded range around values, never empty.
fn span(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.06).max(0.05);
    (lo - pad, hi + pad)
}

/// The axis of a chart of means: the means' span, widened by half of it on each side (at least
/// 0.1), so the dots use the width; an interval longer than that is cut at the edge with an
/// arrow (one creator with two ads can have an interval of −5 to 7, which would squeeze all the
/// others into a sliver).
fn means_axis(means: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = span(means);
    let pad = ((hi - lo) * 0.5).max(0.1);
    (lo - pad, hi + pad)
}

/// Creators by mean performance, best on top, each with its 95 % interval as a whisker: a
/// short interval is a result to act on, a long one a hint to test more.
pub fn top_creators(items: &[CreatorMean]) -> Result<String, ChartError> {
    let n = items.len();
    let height = 70 + 26 * n.max(1) as u32;
    let (lo, hi) = means_axis(items.iter().map(|c| c.mean));
    let labels: Vec<String> = items.iter().map(|c| clip_label(&c.label)).collect();
    render("top creators", "Top creators by mean performance with 95 % intervals", height, |root| {
        let mut chart = rows_chart(root, (lo, hi), &labels, "mean performance (95 % interval)")?;
        for (i, c) in items.iter().enumerate() {
            // The first item on top.
            let y = (n - 1 - i) as f64;
            if let Some((low, high)) = c.ci95 {
                let whisker = ShapeStyle::from(&ACCENT.mix(0.55)).stroke_width(2);
                let (from, to) = (low.max(lo), high.min(hi));
                chart.draw_series([PathElement::new(vec![(from, y), (to, y)], whisker)]).map_err(err)?;
                // A cap where the interval ends; an arrow where it runs off the axis.
                for (x, clipped, out) in [(from, low < lo, -1.0), (to, high > hi, 1.0)] {
                    if clipped {
                        let tip = (hi - lo) * 0.015 * out;
                        let arrow = vec![(x - tip, y - 0.2), (x, y), (x - tip, y + 0.2)];
                        chart.draw_series([PathElement::new(arrow, whisker)]).map_err(err)?;
                    } else {
                        chart
                            .draw_series([PathElement::new(vec![(x, y - 0.18), (x, y + 0.18)], whisker)])
                            .map_err(err)?;
                    }
                }
            }
            chart.draw_series([Circle::new((c.mean, y), 5, ACCENT.filled())]).map_err(err)?;
        }
        Ok(())
    })
}

/// Every ad's performance per creator, one row per creator (same order as given), with the
/// mean marked: shows whether a mean is one hit or a steady record.
pub fn distribution(groups: &[(String, Vec<f64>)]) -> Result<String, ChartError> {
    let n = groups.len();
    let height = 70 + 26 * n.max(1) as u32;
    let (lo, hi) = span(groups.iter().flat_map(|(_, v)| v.iter().copied()));
    let labels: Vec<String> = groups.iter().map(|(l, _)| clip_label(l)).collect();
    render("distribution", "Performance of every ad per creator", height, |root| {
        let mut chart = rows_chart(root, (lo, hi), &labels, "performance of each ad")?;
        for (i, (_, values)) in groups.iter().enumerate() {
            let colour = colour(i);
            let row = (n - 1 - i) as f64;
            // Deterministic jitter, so a re-render draws the same picture.
            let dots = values.iter().enumerate().map(|(k, v)| {
                let jitter = ((k * 7919) % 11) as f64 / 11.0 * 0.5 - 0.25;
                Circle::new((*v, row + jitter), 3, colour.mix(0.7).filled())
            });
            chart.draw_series(dots).map_err(err)?;
            if !values.is_empty() {
                let mean = values.iter().sum::<f64>() / values.len() as f64;
                let tick = ShapeStyle::from(&INK).stroke_width(2);
                let y = row;
                chart.draw_series([PathElement::new(vec![(mean, y - 0.32), (mean, y + 0.32)], tick)]).map_err(err)?;
            }
        }
        Ok(())
    })
}

/// Mean performance against number of ads: the creators worth scaling are high and to the
/// right; high and to the left are promising but unproven.
pub fn mean_vs_ads(items: &[CreatorMean], overall_mean: f64) -> Result<String, ChartError> {
    let max_ads = items.iter().map(|c| c.ads).max().unwrap_or(1).max(1) as f64;
    let (lo, hi) = span(items.iter().map(|c| c.mean).chain([overall_mean]));
    // The most-tested creators are named; the rest stay dots.
    let mut named: Vec<usize> = (0..items.len()).collect();
    named.sort_by(|a, b| items[*b].ads.cmp(&items[*a].ads));
    named.truncate(6);
    render("mean vs ads", "Mean performance against number of ads per creator", 380, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(14)
            .x_label_area_size(46)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..max_ads * 1.08 + 0.5, lo..hi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_desc("ads")
            .y_desc("mean performance")
            .label_style((FONT, 16).into_font().color(&INK))
            .axis_desc_style((FONT, 16).into_font().color(&INK))
            .draw()
            .map_err(err)?;
        let average = ShapeStyle::from(&INK.mix(0.4)).stroke_width(1);
        chart
            .draw_series([PathElement::new(vec![(0.0, overall_mean), (max_ads * 1.08 + 0.5, overall_mean)], average)])
            .map_err(err)?;
        chart
            .draw_series(items.iter().map(|c| Circle::new((c.ads as f64, c.mean), 5, ACCENT.mix(0.75).filled())))
            .map_err(err)?;
        let text = (FONT, 15).into_font().color(&INK);
        chart
            .draw_series(named.iter().map(|&i| {
                let c = &items[i];
                Text::new(
                    clip_label(&c.label),
                    (c.ads as f64, c.mean),
                    text.clone().pos(plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Left,
                        plotters::style::text_anchor::VPos::Bottom,
                    )),
                )
            }))
            .map_err(err)?;
        Ok(())
    })
}

/// Face tracks projected on the two main axes of their descriptors (PCA), one colour per
/// creator: tight separate clouds mean a clean grouping; a cloud in two colours is worth a look.
pub fn face_map(points: &[FacePoint], labels: &[String]) -> Result<String, ChartError> {
    let descriptors: Vec<Vec<f32>> = points.iter().map(|p| p.descriptor.clone()).collect();
    let xy = pca_2d(&descriptors);
    let (x_lo, x_hi) = span(xy.iter().map(|p| p.0));
    let (y_lo, y_hi) = span(xy.iter().map(|p| p.1));
    render("face map", "Face tracks by likeness (PCA of face descriptors), coloured by creator", 440, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(14)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_desc("first principal axis")
            .y_desc("second principal axis")
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|_| String::new())
            .axis_desc_style((FONT, 16).into_font().color(&INK))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(
                points.iter().zip(&xy).map(|(p, &(x, y))| Circle::new((x, y), 4, colour(p.group).mix(0.8).filled())),
            )
            .map_err(err)?;
        // Each creator's name at the centre of its tracks.
        let text = (FONT, 15).into_font().color(&INK);
        for (group, label) in labels.iter().enumerate() {
            let members: Vec<(f64, f64)> =
                points.iter().zip(&xy).filter(|(p, _)| p.group == group).map(|(_, xy)| *xy).collect();
            if members.is_empty() {
                continue;
            }
            let n = members.len() as f64;
            let centre = (members.iter().map(|m| m.0).sum::<f64>() / n, members.iter().map(|m| m.1).sum::<f64>() / n);
            chart.draw_series([Text::new(clip_label(label), centre, text.clone())]).map_err(err)?;
        }
        Ok(())
    })
}

/// Performance over time: every dated ad as a dot and the weekly mean as a line.
pub fn over_time(points: &[(chrono::NaiveDate, f64)]) -> Result<String, ChartError> {
    let first = points.iter().map(|p| p.0).min().unwrap_or_default();
    let day = |d: chrono::NaiveDate| (d - first).num_days() as f64;
    let last = points.iter().map(|p| day(p.0)).fold(0.0, f64::max).max(1.0);
    let (lo, hi) = span(points.iter().map(|p| p.1));
    let line = weekly_means(points);
    render("over time", "Performance over time, weekly mean", 360, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(14)
            .x_label_area_size(46)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5..last + 0.5, lo..hi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_labels(6)
            .x_label_formatter(&|x| {
                (first + chrono::Days::new(x.max(0.0).round() as u64)).format("%Y-%m-%d").to_string()
            })
            .y_desc("performance")
            .label_style((FONT, 15).into_font().color(&INK))
            .axis_desc_style((FONT, 16).into_font().color(&INK))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(points.iter().map(|(d, v)| Circle::new((day(*d), *v), 3, ACCENT.mix(0.35).filled())))
            .map_err(err)?;
        chart.draw_series(LineSeries::new(line.clone(), ShapeStyle::from(&ACCENT).stroke_width(2))).map_err(err)?;
        chart.draw_series(line.iter().map(|p| Circle::new(*p, 4, ACCENT.filled()))).map_err(err)?;
        Ok(())
    })
}

/// The mean of each week (seven days from the first ad's date) that has ads, placed at the
/// week's middle day, counted from the first date.
fn weekly_means(points: &[(chrono::NaiveDate, f64)]) -> Vec<(f64, f64)> {
    let Some(first) = points.iter().map(|p| p.0).min() else { return Vec::new() };
    let mut weeks: std::collections::BTreeMap<i64, (f64, u32)> = Default::default();
    for (d, v) in points {
        let e = weeks.entry((*d - first).num_days().div_euclid(7)).or_default();
        e.0 += v;
        e.1 += 1;
    }
    weeks.iter().map(|(w, (sum, n))| (*w as f64 * 7.0 + 3.0, sum / *n as f64)).collect()
}

#[cfg(test)]
mod tests;
