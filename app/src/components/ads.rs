//! The ads (input rows) of a creator or a video, with their URL, performance and optional fields.

use leptos::prelude::*;

use crate::api::AdView;
use crate::format;

#[component]
pub fn AdsTable(run_id: i64, ads: Vec<AdView>) -> impl IntoView {
    let has = |f: fn(&AdView) -> bool| ads.iter().any(f);
    let (spend, date, campaign, name) = (
        has(|a| a.spend.is_some()),
        has(|a| a.date.is_some()),
        has(|a| a.campaign.is_some()),
        has(|a| a.ad_name.is_some()),
    );
    let text = |v: Option<String>| v.unwrap_or_else(|| "–".to_string());
    view! {
        <div class="scroll-x">
            <table class="table ads" id="ads">
                <thead>
                    <tr>
                        <th class="num">"Row"</th>
                        <th class="num">"Performance"</th>
                        {spend.then(|| view! { <th class="num">"Spend"</th> })}
                        {date.then(|| view! { <th>"Date"</th> })}
                        {campaign.then(|| view! { <th>"Campaign"</th> })}
                        {name.then(|| view! { <th>"Ad name"</th> })}
                        <th class="num">"Video"</th>
                        <th>"URL"</th>
                    </tr>
                </thead>
                <tbody>
                    {ads.into_iter().map(|a| view! {
                        <tr data-row=a.row>
                            <td class="num">{a.row}</td>
                            <td class="num">{format::perf(a.performance)}</td>
                            {spend.then(|| view! { <td class="num">{a.spend.map(format::amount).unwrap_or_else(|| "–".to_string())}</td> })}
                            {date.then(|| view! { <td>{text(a.date.clone())}</td> })}
                            {campaign.then(|| view! { <td>{text(a.campaign.clone())}</td> })}
                            {name.then(|| view! { <td>{text(a.ad_name.clone())}</td> })}
                            <td class="num">
                                {a.video_id.map(|v| view! { <a href=format!("/runs/{run_id}/videos/{v}")>{format!("#{v}")}</a> })}
                            </td>
                            <td class="url-cell">
                                {if a.linkable {
                                    view! { <a href=a.url.clone() target="_blank" rel="noopener noreferrer nofollow">{a.url.clone()}</a> }.into_any()
                                } else {
                                    view! { <span>{a.url.clone()}</span> }.into_any()
                                }}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
