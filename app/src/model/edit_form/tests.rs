use super::*;

fn form(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn a_merge_keeps_the_chosen_creator_or_the_first_ticked() {
    let chosen = parse(
        7,
        &form(&[
            ("version", "3"),
            ("creators", "4"),
            ("creators", "9"),
            ("keep", "9"),
            ("op", "merge"),
            ("return", "/runs/7"),
        ]),
    )
    .unwrap();
    assert_eq!(chosen.version, 3);
    assert_eq!(chosen.op, EditOp::Edit(CreatorEdit::Merge { creators: vec![4, 9], keep: 9 }));
    assert_eq!(chosen.back_to, "/runs/7");

    // No script filled the "keep" list; a keep that is not ticked is not taken either.
    for keep in [None, Some("12")] {
        let mut fields = form(&[("version", "3"), ("creators", "4"), ("creators", "9"), ("op", "merge")]);
        fields.extend(keep.map(|k| ("keep".to_string(), k.to_string())));
        assert_eq!(parse(7, &fields).unwrap().op, EditOp::Edit(CreatorEdit::Merge { creators: vec![4, 9], keep: 4 }));
    }
}

#[test]
fn hide_and_show_take_the_ticked_creators_or_the_page_s_creator() {
    let ticked =
        parse(1, &form(&[("version", "0"), ("op", "hide"), ("creators", "2"), ("reason", " stock footage ")])).unwrap();
    assert_eq!(ticked.op, EditOp::Edit(CreatorEdit::Hide { creators: vec![2], reason: "stock footage".into() }));
    let page = parse(1, &form(&[("version", "0"), ("op", "show"), ("creator", "5")])).unwrap();
    assert_eq!(page.op, EditOp::Edit(CreatorEdit::Show { creators: vec![5] }));
}

#[test]
fn split_and_move_read_ticked_videos_and_faces() {
    let sha = "ab".repeat(32);
    let track = format!("{sha}:3");
    let fields = form(&[
        ("version", "2"),
        ("creator", "1"),
        ("videos", "8"),
        ("tracks", &track),
        ("to", "6"),
        ("op", "move"),
        ("return", "/runs/4/creators/1"),
    ]);
    let moved = parse(4, &fields).unwrap();
    let key = FaceKey { sha256: sha.clone(), track: 3 };
    assert_eq!(
        moved.op,
        EditOp::Edit(CreatorEdit::Move { creator: 1, videos: vec![8], tracks: vec![key.clone()], to: 6 })
    );
    assert_eq!(moved.back_to, "/runs/4/creators/1");
    assert_eq!(track_value(&key), track, "the value the page renders is the value parsed");

    let split = form(&[("version", "2"), ("creator", "1"), ("tracks", &track), ("op", "split")]);
    assert_eq!(
        parse(4, &split).unwrap().op,
        EditOp::Edit(CreatorEdit::Split { creator: 1, videos: vec![], tracks: vec![key] })
    );
}

#[test]
fn mistakes_come_back_as_sentences_naming_the_field() {
    let err = |fields: &[(&str, &str)]| parse(1, &form(fields)).unwrap_err();
    assert_eq!(
        err(&[("op", "merge"), ("creators", "1")]),
        "The form has no edit version; reload the page and try again."
    );
    assert_eq!(err(&[("version", "1"), ("op", "merge"), ("creators", "1")]), "Tick at least two creators to merge.");
    assert_eq!(
        err(&[("version", "1"), ("op", "merge"), ("creators", "x"), ("creators", "2")]),
        "`creators` must be whole numbers, not \"x\"."
    );
    assert_eq!(err(&[("version", "1"), ("op", "hide")]), "Tick a creator first.");
    assert_eq!(
        err(&[("version", "1"), ("op", "split"), ("creator", "1")]),
        "Tick the videos or faces to take out first."
    );
    assert_eq!(
        err(&[("version", "1"), ("op", "move"), ("creator", "1"), ("videos", "2")]),
        "Choose the creator to move them to."
    );
    assert_eq!(
        err(&[("version", "1"), ("op", "split"), ("creator", "1"), ("tracks", "abc")]),
        "`tracks` value \"abc\" is not <file>:<track>."
    );
    assert_eq!(err(&[("version", "1"), ("op", "explode")]), "Unknown edit \"explode\".");
    assert_eq!(err(&[("version", "1"), ("op", "rename")]), "The form has no `creator`.");
}

#[test]
fn it_goes_back_only_to_a_page_of_the_same_run() {
    let back = |to: &str| parse(3, &form(&[("version", "1"), ("op", "undo"), ("return", to)])).unwrap().back_to;
    assert_eq!(back("/runs/3?sort=ads&edit_done=Merged+x&dir=asc"), "/runs/3?sort=ads&dir=asc");
    assert_eq!(back("/runs/3/creators/2?edit_error=No"), "/runs/3/creators/2");
    for elsewhere in
        ["https://example.com/runs/3", "//example.com/runs/3", "/runs/31", "/runs/4", "/runs/3/../../x", "/"]
    {
        assert_eq!(back(elsewhere), "/runs/3", "{elsewhere}");
    }
    assert_eq!(parse(3, &form(&[("version", "1"), ("op", "redo")])).unwrap().back_to, "/runs/3");
}
