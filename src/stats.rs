//! Statistics: per unique video and per creator, the number of ads and their performance
//! (mean, median, sample standard deviation, 95 % confidence interval of the mean, best and worst
//! ad), computed with polars. The interval is Student's t: mean ± t(0.975, n − 1) · sd / √n, so a
//! creator with three lucky ads shows a wide interval rather than a confident rank.
//!
//! Ads whose creator is unknown because nobody is on camera form their own group (key `None`),
//! shown as "No creator on camera" rather than vanishing; ads with no video at all (the
//! download failed) are in no group and are reported by their row status instead.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

pub mod shrink;

/// One ad as statistics see it.
#[derive(Debug, Clone, PartialEq)]
pub struct AdOutcome {
    pub row: u32,
    pub performance: f64,
    /// What the ad cost, when the file says.
    pub spend: Option<f64>,
    pub video: Option<u32>,
    pub creator: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupStats {
    /// The video or creator id; `None` is the "no creator on camera" group.
    pub key: Option<u32>,
    pub ads: u32,
    pub mean: f64,
    pub median: f64,
    /// Sample standard deviation (n − 1); `None` for a single ad.
    pub std_dev: Option<f64>,
    /// 95 % confidence interval of the mean; `None` for a single ad.
    #[serde(default)]
    pub ci95: Option<(f64, f64)>,
    pub best_row: u32,
    pub best: f64,
    pub worst_row: u32,
    pub worst: f64,
    /// Total spend of the ads that have one; `None` when none has.
    #[serde(default)]
    pub spend: Option<f64>,
    /// Σ performance · spend / Σ spend over the ads with a spend above 0: what the money earned
    /// on average, rather than what the average ad did.
    #[serde(default)]
    pub spend_weighted_mean: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
#[error("statistics failed: {0}")]
pub struct StatsError(#[from] PolarsError);

/// Statistics per unique video (ads without a video are left out).
pub fn per_video(ads: &[AdOutcome]) -> Result<Vec<GroupStats>, StatsError> {
    let with_video: Vec<&AdOutcome> = ads.iter().filter(|a| a.video.is_some()).collect();
    grouped(&with_video, |a| a.video)
}

/// Statistics per creator, plus the `None` group for videos with nobody on camera.
pub fn per_creator(ads: &[AdOutcome]) -> Result<Vec<GroupStats>, StatsError> {
    let with_video: Vec<&AdOutcome> = ads.iter().filter(|a| a.video.is_some()).collect();
    grouped(&with_video, |a| a.creator)
}

fn grouped(ads: &[&AdOutcome], key: impl Fn(&AdOutcome) -> Option<u32>) -> Result<Vec<GroupStats>, StatsError> {
    if ads.is_empty() {
        return Ok(Vec::new());
    }
    let frame = df!(
        "key" => ads.iter().map(|a| key(a)).collect::<Vec<Option<u32>>>(),
        "row" => ads.iter().map(|a| a.row).collect::<Vec<u32>>(),
        "perf" => ads.iter().map(|a| a.performance).collect::<Vec<f64>>(),
        "spend" => ads.iter().map(|a| a.spend).collect::<Vec<Option<f64>>>(),
    )?;
    // Best: highest performance, earliest row on ties. Worst: lowest, earliest row on ties.
    let by = |descending: bool| {
        col("row").sort_by(
            [col("perf"), col("row")],
            SortMultipleOptions::default().with_order_descending_multi([descending, false]),
        )
    };
    let out = frame
        .lazy()
        .group_by([col("key")])
        .agg([
            len().alias("ads"),
            col("perf").mean().alias("mean"),
            col("perf").median().alias("median"),
            col("perf").std(1).alias("std"),
            col("perf").max().alias("best"),
            col("perf").min().alias("worst"),
            by(true).first().alias("best_row"),
            by(false).first().alias("worst_row"),
            col("spend").sum().alias("spend"),
            col("spend").count().alias("spend_count"),
            (col("perf") * col("spend")).sum().alias("weighted_sum"),
        ])
        .sort(["key"], SortMultipleOptions::default().with_nulls_last(true))
        .collect()?;

    let keys = out.column("key")?.u32()?.clone();
    let counts = out.column("ads")?.cast(&DataType::UInt32)?;
    let counts = counts.u32()?;
    let f = |name: &str| -> Result<Float64Chunked, PolarsError> { Ok(out.column(name)?.f64()?.clone()) };
    let (mean, median, std, best, worst) = (f("mean")?, f("median")?, f("std")?, f("best")?, f("worst")?);
    let (spend, weighted_sum) = (f("spend")?, f("weighted_sum")?);
    let spend_count = out.column("spend_count")?.cast(&DataType::UInt32)?;
    let spend_count = spend_count.u32()?;
    let best_row = out.column("best_row")?.u32()?.clone();
    let worst_row = out.column("worst_row")?.u32()?.clone();
    Ok((0..out.height())
        .map(|i| {
            let ads = counts.get(i).unwrap_or(0);
            let std_dev = if ads > 1 { std.get(i) } else { None };
            let mean = mean.get(i).unwrap_or(f64::NAN);
            GroupStats {
                key: keys.get(i),
                ads,
                mean,
                median: median.get(i).unwrap_or(f64::NAN),
                std_dev,
                ci95: std_dev.and_then(|sd| confidence_interval(mean, sd, ads)),
                best_row: best_row.get(i).unwrap_or(0),
                best: best.get(i).unwrap_or(f64::NAN),
                worst_row: worst_row.get(i).unwrap_or(0),
                worst: worst.get(i).unwrap_or(f64::NAN),
                spend: spend.get(i).filter(|_| spend_count.get(i).unwrap_or(0) > 0),
                spend_weighted_mean: spend
                    .get(i)
                    .filter(|total| *total > 0.0)
                    .and_then(|total| Some(weighted_sum.get(i)? / total)),
            }
        })
        .collect())
}

/// The 95 % interval of a mean of `n` values with sample standard deviation `sd`.
pub fn confidence_interval(mean: f64, sd: f64, n: u32) -> Option<(f64, f64)> {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    if n < 2 || !sd.is_finite() {
        return None;
    }
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64).ok()?.inverse_cdf(0.975);
    let half = t * sd / (n as f64).sqrt();
    Some((mean - half, mean + half))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ad(row: u32, performance: f64, video: Option<u32>, creator: Option<u32>) -> AdOutcome {
        AdOutcome { row, performance, spend: None, video, creator }
    }

    /// The same statistics computed by hand, as the reference.
    fn reference(perfs: &[f64]) -> (f64, f64, Option<f64>) {
        let n = perfs.len() as f64;
        let mean = perfs.iter().sum::<f64>() / n;
        let mut sorted = perfs.to_vec();
        sorted.sort_by(f64::total_cmp);
        let median = if sorted.len() % 2 == 1 {
            sorted[sorted.len() / 2]
        } else {
            (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) / 2.0
        };
        let std = (perfs.len() > 1).then(|| (perfs.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
        (mean, median, std)
    }

    #[test]
    fn per_creator_matches_a_hand_computation() {
        let ads = [
            ad(2, 1.0, Some(1), Some(1)),
            ad(3, 3.0, Some(1), Some(1)),
            ad(4, 2.0, Some(2), Some(1)),
            ad(5, 0.5, Some(3), None),
            ad(6, 9.0, None, None),
            ad(7, 4.0, Some(4), Some(2)),
        ];
        let stats = per_creator(&ads).unwrap();
        assert_eq!(stats.iter().map(|s| s.key).collect::<Vec<_>>(), [Some(1), Some(2), None]);
        let (mean, median, std) = reference(&[1.0, 3.0, 2.0]);
        let c1 = &stats[0];
        assert_eq!(c1.ads, 3);
        assert!((c1.mean - mean).abs() < 1e-12 && (c1.median - median).abs() < 1e-12);
        assert!((c1.std_dev.unwrap() - std.unwrap()).abs() < 1e-12);
        assert_eq!((c1.best_row, c1.best, c1.worst_row, c1.worst), (3, 3.0, 2, 1.0));
        // t(0.975, 2) = 4.302653 (tables); sd = 1, n = 3.
        let (low, high) = c1.ci95.unwrap();
        let half = 4.302_653 / 3f64.sqrt();
        assert!((low - (2.0 - half)).abs() < 1e-5 && (high - (2.0 + half)).abs() < 1e-5, "{low} {high}");
        assert_eq!(stats[1].ci95, None);
        assert_eq!(stats[1].std_dev, None, "one ad has no spread");
        assert_eq!((stats[2].ads, stats[2].mean), (1, 0.5), "no-face group; the row without video is left out");
    }

    #[test]
    fn ties_pick_the_earliest_row() {
        let ads = [ad(9, 2.0, Some(1), None), ad(4, 2.0, Some(1), None), ad(6, 2.0, Some(1), None)];
        let stats = per_video(&ads).unwrap();
        assert_eq!((stats[0].best_row, stats[0].worst_row), (4, 4));
    }

    #[test]
    fn spend_weighted_mean_counts_only_ads_with_spend() {
        let with = |row, perf, spend| AdOutcome { spend, ..ad(row, perf, Some(1), Some(1)) };
        let ads = [with(2, 4.0, Some(300.0)), with(3, 1.0, Some(100.0)), with(4, 10.0, None), with(5, 7.0, Some(0.0))];
        let stats = per_creator(&ads).unwrap();
        assert_eq!(stats[0].spend, Some(400.0));
        // (4·300 + 1·100 + 7·0) / 400; the ad without spend is in the plain mean only.
        assert_eq!(stats[0].spend_weighted_mean, Some(1300.0 / 400.0));
        assert_eq!(stats[0].mean, 22.0 / 4.0);
        let none = per_creator(&[ad(2, 1.0, Some(1), Some(1))]).unwrap();
        assert_eq!((none[0].spend, none[0].spend_weighted_mean), (None, None));
        let zero = per_creator(&[with(2, 1.0, Some(0.0))]).unwrap();
        assert_eq!((zero[0].spend, zero[0].spend_weighted_mean), (Some(0.0), None), "no money spent: no weighted mean");
    }

    #[test]
    fn no_ads_no_groups() {
        assert!(per_video(&[]).unwrap().is_empty());
    }
}
