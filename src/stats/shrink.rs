//! Shrunk means: ranking groups whose sizes differ a lot. A creator with 2 lucky ads should not
//! outrank one with 59 steady ones on the raw mean, so each group's mean is pulled toward the
//! mean of all ads, the more the fewer ads it has (empirical Bayes for a normal model, the
//! James–Stein idea):
//!
//! shrunk = μ + B · (mean − μ), with B = τ² / (τ² + σ² / n)
//!
//! where μ is the mean of all ads, σ² the pooled variance of ads within a group, n the group's
//! ads, and τ² how much the groups' true means vary: the variance of the group means less what
//! sampling alone explains (the mean of σ² / n), never below 0.

/// One group: its number of ads, mean and sample standard deviation (None for one ad).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Group {
    pub n: u32,
    pub mean: f64,
    pub std_dev: Option<f64>,
}

/// The shrunk mean of each group, in order. `grand_mean` is the mean of all ads. Without a
/// group of two ads or more (no within-group variance to go by) the means stay as they are.
pub fn shrunk_means(groups: &[Group], grand_mean: f64) -> Vec<f64> {
    let (mut squares, mut freedom) = (0.0, 0.0);
    for g in groups {
        if let (Some(sd), true) = (g.std_dev, g.n >= 2) {
            squares += (g.n as f64 - 1.0) * sd * sd;
            freedom += g.n as f64 - 1.0;
        }
    }
    if freedom == 0.0 || groups.len() < 2 {
        return groups.iter().map(|g| g.mean).collect();
    }
    let within = squares / freedom;
    let k = groups.len() as f64;
    let centre = groups.iter().map(|g| g.mean).sum::<f64>() / k;
    let between = groups.iter().map(|g| (g.mean - centre).powi(2)).sum::<f64>() / (k - 1.0);
    let sampling = groups.iter().map(|g| within / g.n.max(1) as f64).sum::<f64>() / k;
    let tau2 = (between - sampling).max(0.0);
    groups
        .iter()
        .map(|g| {
            let noise = within / g.n.max(1) as f64;
            let weight = if tau2 + noise > 0.0 { tau2 / (tau2 + noise) } else { 0.0 };
            grand_mean + weight * (g.mean - grand_mean)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_groups_by_hand() {
        // A: 1, 2, 3 (mean 2, sd 1); B: 4, 6 (mean 5, sd √2); C: 10 (one ad).
        let groups = [
            Group { n: 3, mean: 2.0, std_dev: Some(1.0) },
            Group { n: 2, mean: 5.0, std_dev: Some(2f64.sqrt()) },
            Group { n: 1, mean: 10.0, std_dev: None },
        ];
        let mu = 26.0 / 6.0;
        // σ² = (2·1 + 1·2) / 3 = 4/3; group means 2, 5, 10 average 17/3, their variance
        // ((2 − 17/3)² + (5 − 17/3)² + (10 − 17/3)²) / 2 = 49/3; σ²/n averages
        // (4/9 + 2/3 + 4/3) / 3 = 22/27; τ² = 49/3 − 22/27 = 419/27.
        let tau2 = 419.0 / 27.0;
        let want: Vec<f64> = [(3.0, 2.0), (2.0, 5.0), (1.0, 10.0)]
            .iter()
            .map(|&(n, m)| {
                let b = tau2 / (tau2 + (4.0 / 3.0) / n);
                mu + b * (m - mu)
            })
            .collect();
        let got = shrunk_means(&groups, mu);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
        }
        // The fewer the ads, the larger the share of the way to the mean of all ads.
        let moved = |k: usize, mean: f64| (mean - got[k]) / (mean - mu);
        assert!(moved(2, 10.0) > moved(1, 5.0) && moved(1, 5.0) > moved(0, 2.0), "{got:?}");
    }

    #[test]
    fn groups_no_more_different_than_chance_all_get_the_grand_mean() {
        let groups = [Group { n: 2, mean: 1.0, std_dev: Some(3.0) }, Group { n: 2, mean: 1.2, std_dev: Some(3.0) }];
        assert_eq!(shrunk_means(&groups, 1.1), vec![1.1, 1.1]);
        let single = [Group { n: 1, mean: 4.0, std_dev: None }, Group { n: 1, mean: 2.0, std_dev: None }];
        assert_eq!(shrunk_means(&single, 3.0), vec![4.0, 2.0], "no within-group variance: left as they are");
    }
}
