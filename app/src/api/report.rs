//! Server functions of the report pages: the influencer table, the Videos page, a creator, a video.

use leptos::prelude::*;

use crate::model::*;

#[server(endpoint = "get_run_report")]
pub async fn get_run_report(run_id: i64, query: TableQuery) -> Result<RunReport, ServerFnError> {
    crate::ssr::report::run_report(run_id, query).await
}

#[server(endpoint = "get_run_videos")]
pub async fn get_run_videos(run_id: i64) -> Result<VideosReport, ServerFnError> {
    crate::ssr::report::run_videos(run_id).await
}

#[server(endpoint = "get_creator")]
pub async fn get_creator(run_id: i64, creator: String) -> Result<CreatorDetail, ServerFnError> {
    crate::ssr::report::creator_detail(run_id, creator).await
}

#[server(endpoint = "get_video")]
pub async fn get_video(run_id: i64, video_id: u32) -> Result<VideoDetail, ServerFnError> {
    crate::ssr::report::video_detail(run_id, video_id).await
}
