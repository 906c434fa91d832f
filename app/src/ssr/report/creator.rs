//! A creator's page: the creator's statistics, face tracks, videos and ads.

use super::*;

pub(super) fn ad_view(ad: &report::Ad) -> AdView {
    AdView {
        row: ad.row,
        url: ad.video_url.clone(),
        linkable: is_web_url(&ad.video_url),
        performance: ad.performance,
        spend: ad.details.spend,
        date: ad.details.date.clone(),
        campaign: ad.details.campaign.clone(),
        ad_name: ad.details.ad_name.clone(),
        status: ad.status.to_string(),
        video_id: ad.video,
    }
}

pub async fn creator_detail(run_id: i64, creator: String) -> Result<CreatorDetail, ServerFnError> {
    let key: Option<u32> = match creator.as_str() {
        "none" => None,
        id => Some(id.parse().map_err(|_| ServerFnError::new(format!("There is no creator {id}.")))?),
    };
    with_store(move |store| {
        let run = store.run(run_id)?;
        let dataset = store.dataset(run.dataset_id)?;
        let version = store.edit_version(run_id)?;
        let data = report::load(store, run_id)?;
        let not_found = || StoreError::NotFound { what: "creator", id: key.map_or(0, i64::from) };
        let summary = data.creators.iter().find(|c| c.key == key).ok_or_else(not_found)?;
        let grouped = key.and_then(|k| data.grouping.creators.iter().find(|c| c.id == k));
        let mut faces = Vec::new();
        if let Some(creator) = grouped {
            let tracks =
                ips_core::pipeline::run_tracks(store, run_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let video_of_sha: HashMap<&str, u32> =
                data.grouping.videos.iter().flat_map(|v| v.sha256s.iter().map(move |s| (s.as_str(), v.id))).collect();
            for (k, member) in creator.members.iter().enumerate() {
                let Some(track) = tracks.get(&member.sha256).and_then(|t| t.iter().find(|t| t.index == member.track))
                else {
                    continue;
                };
                let attached =
                    data.grouping.faces.iter().any(|f| &f.track == member && f.attached_to == Some(creator.id));
                let Some(face) = &track.face_file else { continue };
                faces.push(TrackFace {
                    key: FaceKey { sha256: member.sha256.clone(), track: member.track },
                    is_face: creator.face_track.as_ref() == Some(member),
                    face_url: format!("/faces/{face}"),
                    video_id: video_of_sha.get(member.sha256.as_str()).copied(),
                    first_s: track.first_s,
                    last_s: track.last_s,
                    frames: track.frames,
                    distance: creator.member_distances.get(k).copied().unwrap_or_default(),
                    attached,
                });
            }
            // The least typical face first: a wrong face is the first one to see.
            faces.sort_by(|a, b| b.distance.total_cmp(&a.distance));
        }
        let videos = summary.videos.iter().filter_map(|v| video_row(store, &data, *v)).collect();
        let ads: Vec<AdView> = data.ads.iter().filter(|a| a.video.is_some() && a.creator == key).map(ad_view).collect();
        let values: Vec<f64> = ads.iter().map(|a| a.performance).collect();
        let distribution = ips_core::charts::distribution(&[(summary.label.clone(), values)]).ok();
        let others = data.creators.iter().filter(|c| c.key.is_some() && c.key != key).map(creator_choice).collect();
        Ok(CreatorDetail {
            version,
            editable: run.status == ips_core::store::RunStatus::Succeeded && key.is_some(),
            others,
            run_id,
            dataset_name: dataset.name,
            creator: creator_row(summary, &data.grouping),
            faces,
            videos,
            appears_in: grouped.map(|c| c.appears_in.clone()).unwrap_or_default(),
            ads,
            distribution,
        })
    })
    .await
}
