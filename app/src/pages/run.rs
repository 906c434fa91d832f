//! A run's report: the influencer table (sortable, searchable, filtered and paged on the
//! server, its view kept in the URL), the charts, and the downloads; live while the run is going.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{
    ChartsView, CreatorEdit, CreatorRow, CreatorTable, RunReport, RunState, Show, SortKey, TableQuery, get_run_report,
};
use crate::components::{
    EditFormFields, EditOp, EditsPanel, FacesOnProducts, Loaded, RunBadge, SamePersonQueue, StageList,
    edit_form_action, provide_editor, use_editor, use_poll,
};
use crate::format;
use crate::model::edit_form::{FormOp, field};

#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let query_map = use_query_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(-1);
    let query = move || TableQuery::from_params(|k| query_map.read().get(k));
    let active = RwSignal::new(false);
    let tick = use_poll(active);
    let editor = provide_editor(true);
    let report = Resource::new(
        move || (id(), query(), tick.get(), editor.changed.get()),
        |(id, query, _, _)| get_run_report(id, query),
    );
    view! {
        <Loaded
            resource=report
            title="Report"
            render=move |report: RunReport| {
                active.set(report.run.is_active);
                view! { <Report report /> }
            }
        />
    }
}

#[component]
fn Report(report: RunReport) -> impl IntoView {
    let run = report.run.clone();
    let run_id = run.id;
    let finished = run.status == RunState::Succeeded;
    let version = report.edits.as_ref().map(|e| e.version);
    view! {
        <Title text=format!("Run {} · {}", run.id, report.dataset_name) />
        <section class="card">
            <p class="crumbs"><a href=format!("/datasets/{}", report.dataset_id)>{report.dataset_name.clone()}</a></p>
            <div class="run-head">
                <h1>{format!("Run {}", run.id)}</h1>
                <RunBadge status=run.status />
                {report.is_demo.then(|| view! { <span class="tag">"demo data"</span> })}
                <span class="muted">{format::elapsed(&run)}</span>
            </div>
            <StageList stages=report.stages.clone() run=run.clone() />
            {run.error.clone().map(|e| view! { <p class="error">{e}</p> })}
            <div class="stats">
                <div class="stat" id="creator-count">
                    <span class="stat-value">{report.creators_on_camera}</span>
                    <span class="stat-label">"creators on camera"</span>
                </div>
                <a class="stat" id="video-count" href=format!("/runs/{}/videos", run.id)>
                    <span class="stat-value">{report.unique_videos}</span>
                    <span class="stat-label">"unique videos →"</span>
                </a>
                <div class="stat" class:warn=report.rows_failed != 0 id="failed-count">
                    <span class="stat-value">{report.rows_failed}</span>
                    <span class="stat-label">"ads whose video could not be fetched or read"</span>
                </div>
                <div class="stat" class:warn=report.rows_rejected != 0>
                    <span class="stat-value">{report.rows_rejected}</span>
                    <span class="stat-label">"rows rejected at upload"</span>
                </div>
            </div>
            {finished.then(|| view! { <Downloads run_id /> })}
        </section>
        {report.charts.map(|charts| view! { <Charts charts /> })}
        <section class="card">
            <h2>"Creators"</h2>
            {if report.table.total == 0 {
                view! { <p class="muted">{if run.is_active { "The table fills in when the run ends." } else { "No creators." }}</p> }.into_any()
            } else {
                let selected = RwSignal::new(Vec::<u32>::new());
                view! {
                    <TableControls run_id table=report.table.clone() />
                    {version.map(|version| {
                        let showing_hidden = report.table.query.show != Show::Visible;
                        view! { <CreatorActions run_id version rows=report.table.rows.clone() selected showing_hidden /> }
                    })}
                    <InfluencerTable run_id table=report.table selected=version.map(|_| selected) />
                    <p class="muted" id="ranking-note">
                        "Ranked by the mean pulled toward the mean of all ads, the more the fewer ads a creator has, so two lucky ads do not outrank fifty steady ones (empirical Bayes); the raw mean is beside it."
                    </p>
                }.into_any()
            }}
        </section>
        {version.filter(|_| !report.questions.is_empty()).map(|version| view! {
            <SamePersonQueue run_id version questions=report.questions.clone() />
        })}
        {(!report.faces_on_products.is_empty()).then(|| view! {
            <FacesOnProducts run_id version faces=report.faces_on_products.clone() />
        })}
        {report.edits.map(|edits| view! { <EditsPanel run_id edits /> })}
    }
}

#[component]
fn Downloads(run_id: i64) -> impl IntoView {
    let link = move |file: &str, label: &'static str, id: &'static str| {
        view! { <a class="button" id=id href=format!("/runs/{run_id}/export/{file}") download="">{label}</a> }
    };
    view! {
        <nav class="downloads" aria-label="Downloads">
            <span class="muted">"Download:"</span>
            {link("report.xlsx", "Excel (creators, videos, ads)", "download-xlsx")}
            {link("creators.csv", "Creators CSV", "download-creators-csv")}
            {link("ads.csv", "Ads CSV", "download-ads-csv")}
            {link("videos.csv", "Videos CSV", "download-videos-csv")}
            {link("report.html", "HTML report", "download-html")}
            <a class="button" id="download-json" href=format!("/api/runs/{run_id}")>"JSON"</a>
        </nav>
    }
}

#[component]
fn Charts(charts: ChartsView) -> impl IntoView {
    let figure = |id: &'static str, caption: &'static str, svg: String| {
        view! {
            <figure class="chart-figure" id=id>
                <figcaption>{caption}</figcaption>
                // plotters' SVG, made on this server; it escapes every label it draws.
                <div class="chart-box" inner_html=svg></div>
            </figure>
        }
    };
    view! {
        <section class="card">
            <h2>"Charts"</h2>
            <div class="charts">
                {figure("chart-top", "Top creators by mean, with 95 % intervals", charts.top_creators)}
                {figure("chart-distribution", "Every ad of the top creators", charts.distribution)}
                {figure("chart-mean-vs-ads", "Mean against number of ads (line: mean of all ads)", charts.mean_vs_ads)}
                {charts.face_map.map(|svg| figure("chart-faces", "Faces by likeness, coloured by creator", svg))}
                {charts.over_time.map(|svg| figure("chart-time", "Performance over time (weekly mean)", svg))}
            </div>
        </section>
    }
}

/// Search and filters: a plain GET form, so it works before hydration and the view is a URL.
#[component]
fn TableControls(run_id: i64, table: CreatorTable) -> impl IntoView {
    let q = table.query.clone();
    view! {
        <form class="table-controls" method="get" action=format!("/runs/{run_id}") role="search">
            <input type="hidden" name="sort" value=q.sort.word() />
            <input type="hidden" name="dir" value=if q.desc { "desc" } else { "asc" } />
            <label>
                "Search "
                <input type="search" name="q" id="creator-search" value=q.q.clone() placeholder="creator name" />
            </label>
            <label>
                "Min. ads "
                <input type="number" name="min_ads" id="min-ads" min="0" value=q.min_ads.to_string() class="narrow" />
            </label>
            <label>
                "Show "
                <select name="show" id="show">
                    <option value="visible" selected=q.show == Show::Visible>"visible"</option>
                    <option value="hidden" selected=q.show == Show::Hidden>{format!("hidden ({})", table.hidden)}</option>
                    <option value="all" selected=q.show == Show::All>"all"</option>
                </select>
            </label>
            <button type="submit" class="secondary">"Apply"</button>
            <span class="muted" id="matching">{format!("{} of {} rows", table.matching, table.total)}</span>
        </form>
    }
}

/// The form the table's tick boxes and the creator actions belong to.
const CREATOR_FORM: &str = "creator-form";

/// Merge, hide and restore the creators ticked in the table: a form (the tick boxes join it by
/// its id) that works before hydration and is sent through the page's action after.
#[component]
fn CreatorActions(
    run_id: i64,
    version: i64,
    rows: Vec<CreatorRow>,
    selected: RwSignal<Vec<u32>>,
    /// Hidden creators are listed: offer to restore them.
    showing_hidden: bool,
) -> impl IntoView {
    let editor = use_editor();
    let keep = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let label_of =
        move |id: u32| rows.iter().find(|r| r.creator_id == Some(id)).map(|r| r.label.clone()).unwrap_or_default();
    let count = move || selected.read().len();
    // The creator whose name and face stay: the one chosen, or the first ticked.
    let kept = move || {
        let creators = selected.get();
        keep.get().parse().ok().filter(|k| creators.contains(k)).or(creators.first().copied())
    };
    let merge = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        let creators = selected.get_untracked();
        if let Some(keep) = kept() {
            editor.send(run_id, version, EditOp::Edit(CreatorEdit::Merge { creators, keep }));
        }
    };
    let hide = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        let creators = selected.get_untracked();
        editor.send(run_id, version, EditOp::Edit(CreatorEdit::Hide { creators, reason: reason.get_untracked() }));
    };
    let show = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        let creators = selected.get_untracked();
        editor.send(run_id, version, EditOp::Edit(CreatorEdit::Show { creators }));
    };
    view! {
        <form class="edit-bar" id=CREATOR_FORM method="post" action=edit_form_action(run_id)
            role="toolbar" aria-label="Edit the selected creators">
            <EditFormFields version />
            <span class="muted" id="selected-count">{move || format!("{} selected", count())}</span>
            <label>
                "Keep name and face of "
                <select id="merge-keep" name=field::KEEP on:change=move |ev| keep.set(event_target_value(&ev))>
                    {move || selected.get().into_iter().map(|id| {
                        let label = label_of(id);
                        view! { <option value=id.to_string() prop:selected=move || kept() == Some(id)>{label}</option> }
                    }).collect_view()}
                </select>
            </label>
            <button class="secondary" id="merge" type="submit" name=field::OP value=FormOp::Merge.word()
                disabled=editor.disabled(move || count() < 2) on:click=merge>"Merge"</button>
            <input type="text" id="hide-reason" name=field::REASON placeholder="reason (optional)" maxlength="500" bind:value=reason />
            <button class="secondary" id="hide" type="submit" name=field::OP value=FormOp::Hide.word()
                disabled=editor.disabled(move || count() == 0) on:click=hide>"Hide"</button>
            {showing_hidden.then(|| view! {
                <button class="secondary" id="show-again" type="submit" name=field::OP value=FormOp::Show.word()
                    disabled=editor.disabled(move || count() == 0) on:click=show>"Restore"</button>
            })}
        </form>
    }
}

#[component]
fn InfluencerTable(run_id: i64, table: CreatorTable, selected: Option<RwSignal<Vec<u32>>>) -> impl IntoView {
    let q = table.query.clone();
    let header = move |key: SortKey, label: &'static str, numeric: bool, title: &'static str| {
        let sorted = q.sort == key;
        let arrow = if !sorted {
            ""
        } else if q.desc {
            " ↓"
        } else {
            " ↑"
        };
        let aria = if !sorted {
            "none"
        } else if q.desc {
            "descending"
        } else {
            "ascending"
        };
        view! {
            <th class:num=numeric aria-sort=aria title=title>
                <a href=q.sorted_by(key).href(run_id) data-sort=key.word()>{label}{arrow}</a>
            </th>
        }
    };
    let has_spend = table.has_spend;
    view! {
        <div class="scroll-x">
            <table class="table creators" id="creators">
                <thead>
                    <tr>
                        {selected.map(|_| view! { <th><span class="visually-hidden">"Select"</span></th> })}
                        {header(SortKey::Creator, "Creator", false, "")}
                        {header(SortKey::Videos, "Unique videos", true, "")}
                        {header(SortKey::Ads, "Ads", true, "")}
                        {header(SortKey::Rank, "Ranked mean", true, "The mean pulled toward the mean of all ads, the more the fewer ads the creator has: the table's default order")}
                        {header(SortKey::Mean, "Mean", true, "Mean performance of the creator's ads")}
                        {header(SortKey::Ci, "95 % CI", true, "95 % confidence interval of the mean (Student's t); sorted by its lower end")}
                        {header(SortKey::Median, "Median", true, "")}
                        {has_spend.then(|| header(SortKey::SpendMean, "Spend-weighted", true, "Σ performance × spend / Σ spend"))}
                        {header(SortKey::Best, "Best video", true, "The creator's unique video with the best mean")}
                    </tr>
                </thead>
                <tbody>
                    {table.rows.into_iter().map(|c| view! { <CreatorTableRow run_id c has_spend selected /> }).collect_view()}
                </tbody>
            </table>
        </div>
        <Pager run_id table_query=table.query.clone() pages=table.pages />
    }
}

#[component]
fn CreatorTableRow(run_id: i64, c: CreatorRow, has_spend: bool, selected: Option<RwSignal<Vec<u32>>>) -> impl IntoView {
    let href = c.href(run_id);
    let pick = selected.map(|selected| match c.creator_id {
        Some(id) => {
            let toggle = move |_| {
                selected.update(|s| match s.iter().position(|x| *x == id) {
                    Some(i) => {
                        s.remove(i);
                    }
                    None => s.push(id),
                })
            };
            view! {
                <td><input type="checkbox" class="select" aria-label=format!("Select {}", c.label)
                    form=CREATOR_FORM name=field::CREATORS value=id.to_string()
                    prop:checked=move || selected.read().contains(&id) on:change=toggle /></td>
            }
            .into_any()
        }
        None => view! { <td></td> }.into_any(),
    });
    view! {
        <tr data-creator=c.creator_id.map(|id| id.to_string()).unwrap_or_default() class:still=c.still class:hidden-row=c.hidden>
            {pick}
            <td><a class="creator-cell" href=href>
                {match c.face_url.clone() {
                    Some(url) => view! {
                        <img class="face" src=url alt=format!("Face of {}", c.label) width="64" height="64" loading="lazy" />
                    }.into_any(),
                    None => view! { <span class="face face-none" aria-hidden="true">"–"</span> }.into_any(),
                }}
                <span class="creator-label">{c.label.clone()}</span>
                {c.still.then(|| view! {
                    <span class="badge still" title="This face never changed while filmed: most likely a photo printed on the product. Listed after the people on camera.">
                        "still face"
                    </span>
                })}
                {c.hidden.then(|| view! { <span class="badge">"hidden"</span> })}
                {c.confidence.clone().map(|conf| {
                    let title = format!(
                        "{} face{} {}; {} face{} of its videos left out (prints, unclear)",
                        conf.faces,
                        if conf.faces == 1 { "" } else { "s" },
                        if conf.faces > 1 { format!("on average {:.2} from their centre", conf.cohesion) } else { "only".into() },
                        conf.left_out,
                        if conf.left_out == 1 { "" } else { "s" },
                    );
                    view! {
                        <span class="badge confidence" class:check=conf.check title=title>
                            {if conf.check { "check" } else { "sure" }}
                        </span>
                    }
                })}
            </a></td>
            <td class="num">{c.unique_videos}</td>
            <td class="num ads">{c.ads}</td>
            <td class="num ranked-mean">{format::perf(c.shrunk_mean)}</td>
            <td class="num mean">{format::perf(c.mean)}</td>
            <td class="num ci">{c.ci95.map(|(low, high)| format!("{} – {}", format::perf(low), format::perf(high))).unwrap_or_else(|| "–".to_string())}</td>
            <td class="num">{format::perf(c.median)}</td>
            {has_spend.then(|| view! { <td class="num">{c.spend_weighted_mean.map(format::perf).unwrap_or_else(|| "–".to_string())}</td> })}
            <td class="num">
                {c.best_video.map(|(video, mean)| view! {
                    <a href=format!("/runs/{run_id}/videos/{video}") class="best-video">{format!("#{video} · {}", format::perf(mean))}</a>
                })}
            </td>
        </tr>
    }
}

#[component]
fn Pager(run_id: i64, table_query: TableQuery, pages: u32) -> impl IntoView {
    let page = table_query.page;
    (pages > 1).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                {(page > 1).then(|| view! { <a href=table_query.at_page(page - 1).href(run_id) rel="prev">"← Previous"</a> })}
                <span id="page-of">{format!("Page {page} of {pages}")}</span>
                {(page < pages).then(|| view! { <a href=table_query.at_page(page + 1).href(run_id) rel="next">"Next →"</a> })}
            </nav>
        }
    })
}
