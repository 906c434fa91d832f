//! The Videos page and a video's page: each unique video with its stills, files and ads, and the
//! evidence of each join (matched frames and the map found between them).

use super::*;

pub(super) fn video_row(store: &Store, data: &RunData, id: u32) -> Option<VideoRow> {
    let video = data.grouping.videos.iter().find(|v| v.id == id)?;
    let stats = data.video_stats.get(&id)?;
    let stills = video.sha256s.iter().find_map(|sha| store.stills_file(sha).ok().flatten());
    let creator = video.creator.and_then(|c| data.grouping.creators.iter().find(|x| x.id == c));
    let (urls, other_urls) = data.urls.get(&id).cloned().unwrap_or_default().into_iter().partition(|u| is_web_url(u));
    Some(VideoRow {
        video_id: id,
        hook_family: video.hook_family,
        stills_url: stills.map(|f| format!("/stills/{f}")),
        files: video.sha256s.len() as u32,
        ads: stats.ads,
        mean: stats.mean,
        median: stats.median,
        ci95: stats.ci95,
        spend_weighted_mean: stats.spend_weighted_mean,
        creator_id: creator.map(|c| c.id),
        creator: creator.map(|c| c.label.clone()),
        urls,
        other_urls,
        similar: video.similar.clone(),
    })
}

pub async fn run_videos(run_id: i64) -> Result<VideosReport, ServerFnError> {
    with_store(move |store| {
        let run = store.run(run_id)?;
        let dataset = store.dataset(run.dataset_id)?;
        let version = store.edit_version(run_id)?;
        let data = report::load(store, run_id)?;
        let mut videos: Vec<VideoRow> =
            data.grouping.videos.iter().filter_map(|v| video_row(store, &data, v.id)).collect();
        let mut families: Vec<Vec<VideoRow>> = Vec::new();
        for video in &videos {
            match families.iter_mut().find(|f| f[0].hook_family == video.hook_family) {
                Some(family) => family.push(video.clone()),
                None => families.push(vec![video.clone()]),
            }
        }
        families.retain(|f| f.len() > 1);
        videos.sort_by(|a, b| b.ads.cmp(&a.ads).then(a.video_id.cmp(&b.video_id)));
        let clip_on = data.grouping.videos.iter().any(|v| v.similar.is_some());
        let editable = run.status == ips_core::store::RunStatus::Succeeded;
        Ok(VideosReport {
            run_id,
            dataset_name: dataset.name,
            hook_families: families,
            videos,
            clip_on,
            version,
            editable,
        })
    })
    .await
}

/// How a frame map reads: "zoomed in 1.4×", "shrunk to 75 % (a card or bars)", "squeezed".
fn describe_map(t: &ips_core::keypoints::Transform) -> String {
    let (sx, sy) = (t.scale_x, t.scale_y);
    let scale = (sx + sy) / 2.0;
    if (sx - sy).abs() > 0.1 * scale {
        format!("re-framed: {:.0} % wide, {:.0} % high", sx * 100.0, sy * 100.0)
    } else if scale > 1.05 {
        format!("zoomed in {scale:.2}×")
    } else if scale < 0.95 {
        format!("shrunk to {:.0} % (on a card or between bars)", scale * 100.0)
    } else {
        "the same framing".to_string()
    }
}

fn frame_match(m: &ips_core::similarity::FrameMatch) -> String {
    use ips_core::similarity::FrameMatch;
    match m {
        FrameMatch::Fingerprint { distance, mirrored: true } => format!("mirrored, fingerprints {distance:.2} apart"),
        FrameMatch::Fingerprint { distance, .. } => format!("fingerprints {distance:.2} apart"),
        FrameMatch::Keypoints(t) => format!("{} keypoints agree: {}", t.inliers, describe_map(t)),
    }
}

fn link_view(link: &ips_core::grouping::FileLink, times: &dyn Fn(&str, u32) -> f64) -> LinkView {
    use ips_core::grouping::LinkKind;
    use ips_core::similarity::FrameMatch;
    let maps: Vec<&ips_core::keypoints::Transform> = link
        .frames
        .iter()
        .filter_map(|f| match &f.by {
            FrameMatch::Keypoints(t) => Some(t),
            _ => None,
        })
        .collect();
    let mirrored = link.frames.iter().any(|f| matches!(f.by, FrameMatch::Fingerprint { mirrored: true, .. }));
    let how = match (maps.first(), mirrored) {
        (_, true) => ", mirrored".to_string(),
        (Some(t), false) => format!(", {}", describe_map(t)),
        (None, false) => String::new(),
    };
    let (kind, what) = match link.kind {
        LinkKind::Copy => ("copy", format!("The same video{how}")),
        LinkKind::OtherOverlay => {
            ("other_overlay", format!("The same footage with another caption, card or last shot{how}"))
        }
        LinkKind::SameBody => ("same_body", format!("The same body behind another hook{how}")),
        LinkKind::Clip => ("clip", "Joined by CLIP: their pictures are alike".to_string()),
        LinkKind::User => ("user", "Joined by you: the same ad".to_string()),
    };
    LinkView {
        kind: kind.to_string(),
        what,
        a: link.a.clone(),
        b: link.b.clone(),
        frames: link
            .frames
            .iter()
            .map(|f| FramePairView {
                a: f.a,
                b: f.b,
                a_s: times(&link.a, f.a),
                b_s: times(&link.b, f.b),
                how: frame_match(&f.by),
            })
            .collect(),
    }
}

pub async fn video_detail(run_id: i64, video_id: u32) -> Result<VideoDetail, ServerFnError> {
    with_store(move |store| {
        let run = store.run(run_id)?;
        let dataset = store.dataset(run.dataset_id)?;
        let version = store.edit_version(run_id)?;
        let data = report::load(store, run_id)?;
        let video =
            video_row(store, &data, video_id).ok_or(StoreError::NotFound { what: "video", id: i64::from(video_id) })?;
        let family = data
            .grouping
            .videos
            .iter()
            .filter(|v| v.hook_family == video.hook_family && v.id != video_id)
            .filter_map(|v| video_row(store, &data, v.id))
            .collect();
        let also_on_camera = data
            .grouping
            .creators
            .iter()
            .filter(|c| c.appears_in.contains(&video_id))
            .map(|c| (c.id, c.label.clone()))
            .collect();
        let ads = data.ads.iter().filter(|a| a.video == Some(video_id)).map(ad_view).collect();
        let unclustered = data.grouping.faces.iter().filter(|f| f.video == video_id).map(left_out_face).collect();
        // The evidence: this video's links, with every file they name and its frame sheet.
        let this = data.grouping.videos.iter().find(|v| v.id == video_id);
        let mut links: Vec<&ips_core::grouping::FileLink> = this.map(|v| v.links.iter().collect()).unwrap_or_default();
        for other in data.grouping.videos.iter().filter(|v| v.id != video_id) {
            links.extend(other.links.iter().filter(|l| this.is_some_and(|t| t.sha256s.contains(&l.b))));
        }
        let settings =
            ips_core::pipeline::run_settings(store, run_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let key = settings.as_ref().map(ips_core::pipeline::analysis_key).unwrap_or_default();
        let mut shas: Vec<String> = this.map(|v| v.sha256s.clone()).unwrap_or_default();
        for l in &links {
            for sha in [&l.a, &l.b] {
                if !shas.contains(sha) {
                    shas.push(sha.clone());
                }
            }
        }
        let mut url_of: HashMap<String, String> = HashMap::new();
        for outcome in store.row_outcomes(run_id)? {
            let (Some(sha), Some(ad)) = (outcome.sha256, data.ads.iter().find(|a| a.row == outcome.row)) else {
                continue;
            };
            url_of.entry(sha).or_insert_with(|| ad.video_url.clone());
        }
        let mut files = Vec::new();
        let mut times: HashMap<String, Vec<f64>> = HashMap::new();
        for sha in &shas {
            let analysis = store.video_analysis(sha, &key)?;
            let (width, height) =
                analysis.as_ref().and_then(|a| a.info.as_ref()).map_or((0, 0), |i| (i.width, i.height));
            let frame_height = ips_core::stills::STILL_HEIGHT as u32;
            let frame_width =
                if height > 0 { (width as f64 * frame_height as f64 / height as f64).round() as u32 } else { 0 };
            let video = data.grouping.videos.iter().find(|v| v.sha256s.contains(sha)).map_or(0, |v| v.id);
            files.push(crate::model::VideoFile {
                sha256: sha.clone(),
                video_id: video,
                url: url_of.get(sha).cloned(),
                frames_url: analysis.as_ref().and_then(|a| a.frames_file.as_ref()).map(|f| format!("/stills/{f}")),
                frame_width,
                frame_height,
            });
            times.insert(
                sha.clone(),
                analysis.map(|a| a.fingerprints.iter().map(|f| f.time_s()).collect()).unwrap_or_default(),
            );
        }
        let time =
            |sha: &str, frame: u32| times.get(sha).and_then(|t| t.get(frame as usize)).copied().unwrap_or_default();
        let links = links.into_iter().map(|l| link_view(l, &time)).collect();
        Ok(VideoDetail {
            run_id,
            dataset_name: dataset.name,
            video,
            ads,
            family,
            also_on_camera,
            unclustered,
            files,
            links,
            version,
            editable: run.status == ips_core::store::RunStatus::Succeeded,
        })
    })
    .await
}
