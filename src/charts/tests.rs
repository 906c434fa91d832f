use super::*;

fn creators() -> Vec<CreatorMean> {
    vec![
        CreatorMean { label: "Ana <script>".to_string(), mean: 2.4, ci95: Some((1.9, 2.9)), ads: 12 },
        CreatorMean { label: "Ben".to_string(), mean: 1.1, ci95: None, ads: 1 },
        CreatorMean {
            label: "A very long creator name that goes on".to_string(),
            mean: 0.7,
            ci95: Some((0.2, 1.2)),
            ads: 4,
        },
    ]
}

fn count(svg: &str, needle: &str) -> usize {
    svg.matches(needle).count()
}

#[test]
fn the_top_creators_axis_follows_the_means_and_clips_long_intervals() {
    // Means 1.0–1.5; one creator of two ads has an interval of −5.4 to 6.8.
    let items = vec![
        CreatorMean { label: "Steady".into(), mean: 1.5, ci95: Some((1.3, 1.7)), ads: 40 },
        CreatorMean { label: "Lucky".into(), mean: 1.0, ci95: Some((-5.4, 6.8)), ads: 2 },
    ];
    let (lo, hi) = means_axis(items.iter().map(|c| c.mean));
    assert!(lo > -0.5 && hi < 3.0, "the axis spans the means, not the long interval: {lo}..{hi}");
    assert!(lo < 1.0 && hi > 1.5);
    let svg = top_creators(&items).unwrap();
    // The short interval: a bar and two caps; the long one: a bar and two arrows (3 points each).
    let whiskers: Vec<&str> =
        svg.split("<polyline").skip(1).filter(|p| p.contains(r##"stroke="#2F6FDE" stroke-width="2""##)).collect();
    assert_eq!(whiskers.len(), 6, "{svg}");
    let arrows = whiskers
        .iter()
        .filter(|p| p.split(" points=\"").nth(1).unwrap().split('"').next().unwrap().split_whitespace().count() == 3)
        .count();
    assert_eq!(arrows, 2, "both ends of the long interval run off the axis");
    // Axis labels stay within the means' neighbourhood: no tick label at −5 or 6.
    assert!(!svg.contains(">-5<") && !svg.contains(">6<"));
}

#[test]
fn top_creators_draws_one_dot_per_creator_and_whiskers_for_intervals() {
    let svg = top_creators(&creators()).unwrap();
    assert!(svg.starts_with(r#"<svg class="chart" role="img""#), "{}", &svg[..120]);
    assert!(svg.contains(r#"viewBox="0 0 720 "#));
    assert_eq!(count(&svg, "<circle"), 3);
    // Two intervals: a bar and two caps each.
    assert_eq!(count(&svg, r##"stroke="#2F6FDE" stroke-width="2""##), 6);
    assert!(svg.contains("Ana &lt;script&gt;"), "labels are escaped");
    assert!(!svg.contains("<script>"));
    assert!(svg.contains("A very long creator n…"), "long labels are clipped");
    // The best creator is drawn on top, its label beside its dot.
    let label_y = |label: &str| -> f64 {
        let at = svg.find(&format!("\n{label}\n")).unwrap();
        let tag = &svg[svg[..at].rfind("<text").unwrap()..at];
        tag.split(" y=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap()
    };
    assert!(label_y("Ana &lt;script&gt;") < label_y("Ben"), "first item on top");
    assert!(label_y("Ben") < label_y("A very long creator n…"));
    assert_eq!(row_label(&["a".to_string(), "b".to_string()], 1.0), "a");
    assert_eq!(row_label(&["a".to_string(), "b".to_string()], 0.5), "");
}

#[test]
fn distribution_draws_every_ad() {
    let groups = vec![("Ana".to_string(), vec![1.0, 2.0, 3.0]), ("Ben".to_string(), vec![0.5])];
    let svg = distribution(&groups).unwrap();
    assert_eq!(count(&svg, "<circle"), 4);
}

#[test]
fn mean_vs_ads_names_the_most_tested_creators() {
    let svg = mean_vs_ads(&creators(), 1.5).unwrap();
    assert_eq!(count(&svg, "<circle"), 3);
    assert!(svg.contains("\nBen\n"));
}

#[test]
fn face_map_separates_two_people() {
    // Two tight clouds far apart in 128-d: their projections must not overlap on axis 1.
    let point = |centre: f32, k: usize, group| FacePoint {
        descriptor: (0..128).map(|j| centre * ((j % 3) as f32 - 1.0) + ((k * 31 + j) % 7) as f32 * 0.001).collect(),
        group,
    };
    let points: Vec<FacePoint> = (0..5).map(|k| point(0.3, k, 0)).chain((0..5).map(|k| point(-0.3, k, 1))).collect();
    let xy = pca_2d(&points.iter().map(|p| p.descriptor.clone()).collect::<Vec<_>>());
    let (a, b): (Vec<_>, Vec<_>) = xy.iter().enumerate().partition(|(i, _)| *i < 5);
    let a_max = a.iter().map(|(_, p)| p.0).fold(f64::MIN, f64::max);
    let b_min = b.iter().map(|(_, p)| p.0).fold(f64::MAX, f64::min);
    let (a_min, b_max) =
        (a.iter().map(|(_, p)| p.0).fold(f64::MAX, f64::min), b.iter().map(|(_, p)| p.0).fold(f64::MIN, f64::max));
    assert!(a_max < b_min || b_max < a_min, "clouds overlap on the first axis: {xy:?}");
    let svg = face_map(&points, &["Ana".to_string(), "Ben".to_string()]).unwrap();
    assert_eq!(count(&svg, "<circle"), 10);
    assert!(svg.contains("\nAna\n") && svg.contains("\nBen\n"));
}

#[test]
fn pca_finds_the_axis_of_largest_variance() {
    // Points on the line y = 2x in 3-d, plus small noise in z: axis 1 is (1, 2, 0)/√5.
    let rows: Vec<Vec<f32>> = (0..20).map(|i| vec![i as f32, 2.0 * i as f32, (i % 2) as f32 * 0.01]).collect();
    let xy = pca_2d(&rows);
    let spread1 = xy.iter().map(|p| p.0).fold(f64::MIN, f64::max) - xy.iter().map(|p| p.0).fold(f64::MAX, f64::min);
    let expected = 19.0 * 5f64.sqrt();
    assert!((spread1 - expected).abs() < 1e-6, "{spread1} vs {expected}");
    assert!(xy.iter().all(|p| p.1.abs() < 0.02), "second axis holds only the noise");
    assert!(pca_2d(&[]).is_empty());
    assert!(pca_2d(&[vec![1.0], vec![1.0, 2.0]]).is_empty());
}

#[test]
fn over_time_draws_weekly_means() {
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let points = vec![(d("2026-03-10"), 5.0), (d("2026-03-02"), 1.0), (d("2026-03-03"), 3.0), (d("2026-03-23"), 4.0)];
    // Weeks from the first date (03-02): 1 and 3 in the first, 5 in the second, none in the
    // third, 4 in the fourth; each mean at its week's middle day.
    assert_eq!(weekly_means(&points), [(3.0, 2.0), (10.0, 5.0), (24.0, 4.0)]);
    assert!(weekly_means(&[]).is_empty());
    let svg = over_time(&points).unwrap();
    // 4 ads + 3 weekly means.
    assert_eq!(count(&svg, "<circle"), 7);
    assert!(svg.contains("2026-03-02"));
}
