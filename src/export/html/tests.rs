use crate::corrections::EditRequest;
use crate::pipeline::edit_creators;
use crate::store::Store;
use crate::testing::synthetic_run;

const HOSTILE: &str = "<script>alert(1)</script> & \"Bo\"";

#[test]
fn the_report_lists_every_creator_and_video_and_escapes_what_users_wrote() {
    let store = Store::open_in_memory().unwrap();
    let run = synthetic_run(&store, 3, 2, 2).unwrap();
    edit_creators(&store, run, 0, &EditRequest::Rename { creator: 1, name: HOSTILE.into() }, None).unwrap();
    let data = crate::report::load(&store, run).unwrap();
    let dir = tempfile::tempdir().unwrap();

    let page = super::html_report(&store, run, dir.path()).unwrap();

    assert!(page.starts_with("<!DOCTYPE html><html lang=\"en\">"), "{}", &page[..80]);
    assert!(!page.contains("<script>"), "a name is text, never markup");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Bo&quot;"));
    let creators = page.split("<table id=\"creators\">").nth(1).unwrap().split("</table>").next().unwrap();
    assert_eq!(creators.matches("<tr>").count(), 1 + 3, "a header and one row per creator");
    for c in &data.creators {
        let cells = format!("<td class=\"num\">{}</td><td class=\"num\">{:.3}</td>", c.stats.ads, c.shrunk_mean);
        assert!(creators.contains(&cells), "{} with its ads and ranked mean", c.label);
    }
    let videos = page.split("<table id=\"videos\">").nth(1).unwrap().split("</table>").next().unwrap();
    assert_eq!(videos.matches("<tr>").count(), 1 + 6);
    let links = data.urls.values().map(Vec::len).sum::<usize>();
    assert_eq!(videos.matches("<a href=\"https://cdn.example.com/").count(), links, "every URL is a link");
}
