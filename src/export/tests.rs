use polars::prelude::*;

use super::*;

#[test]
fn csv_cells_that_would_run_as_formulas_are_neutralised() {
    assert_eq!(neutralise_formula("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
    assert_eq!(neutralise_formula("+1+2"), "'+1+2");
    assert_eq!(neutralise_formula("@SUM(A1)"), "'@SUM(A1)");
    assert_eq!(neutralise_formula("-0.5"), "-0.5", "a negative number stays a number");
    assert_eq!(neutralise_formula("https://a.example/v.mp4"), "https://a.example/v.mp4");
    let frame = df!("label" => ["=cmd|' /C calc'!A0", "Ana"], "mean" => [1.5, -2.0]).unwrap();
    let csv = String::from_utf8(to_csv(&frame).unwrap()).unwrap();
    assert_eq!(csv, "label,mean\n'=cmd|' /C calc'!A0,1.5\nAna,-2.0\n");
}

#[test]
fn xlsx_round_trips_through_calamine() {
    use calamine::{Data, Reader};
    let frame = df!(
        "label" => [Some("Ana"), None],
        "ads" => [3u32, 1],
        "mean" => [Some(1.25), None],
        "still" => [Some(false), Some(true)],
    )
    .unwrap();
    let bytes = to_xlsx(&[("creators", &frame)]).unwrap();
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), vec!["creators".to_string()]);
    let range = book.worksheet_range("creators").unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
    assert_eq!(
        rows[0],
        vec![
            Data::String("label".into()),
            Data::String("ads".into()),
            Data::String("mean".into()),
            Data::String("still".into())
        ]
    );
    assert_eq!(rows[1], vec![Data::String("Ana".into()), Data::Float(3.0), Data::Float(1.25), Data::Bool(false)]);
    assert_eq!(rows[2], vec![Data::Empty, Data::Float(1.0), Data::Empty, Data::Bool(true)]);
}

#[test]
fn rejected_rows_come_back_with_their_own_columns_and_problems() {
    let store = crate::store::Store::open_in_memory().unwrap();
    let csv = "Campaign,Video URL,ROAS,Spend\nSpring,https://a.example/1.mp4,1.5,10\nSummer,,2,x\nFall,https://a.example/3.mp4,=1+1,\n";
    let sheet = crate::ingest::parse_sheet(csv.as_bytes()).unwrap();
    let new = crate::store::NewDataset { name: "ads.csv", sha256: "0", size_bytes: 0, is_demo: false };
    let dataset = store.insert_dataset(&new, &sheet).unwrap();
    let out = String::from_utf8(rejected_csv(&store, dataset).unwrap()).unwrap();
    assert_eq!(
        out,
        "row,problems,Video URL,ROAS,Campaign,Spend\n\
         3,Video URL: missing video URL; Spend: not an amount: 'x',,2,Summer,x\n\
         4,ROAS: not a number: '=1+1',https://a.example/3.mp4,'=1+1,Fall,\n"
    );
}
