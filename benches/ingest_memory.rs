//! Memory and time to read the largest spreadsheets a user may upload: a million-row CSV and a
//! million-row XLSX (the format's limit is 1,048,576 rows), with the optional columns filled in.
//! Peak memory is the process's high-water mark (VmHWM), reset before each read.
//! Run: `cargo bench --bench ingest_memory` (release; several minutes for the XLSX).

use std::time::Instant;

use ips_core::ingest::parse_sheet;

const ROWS: u32 = 1_000_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut csv = String::with_capacity(110 * ROWS as usize);
    csv.push_str("Performance,Video URL,Spend,Date,Campaign,Ad name\n");
    for i in 0..ROWS {
        let day = i % 28 + 1;
        csv.push_str(&format!(
            "{}.{},https://cdn.example.com/ads/{i}.mp4,{}.50,2026-03-{day:02},Spring sale {},Ad number {i}\n",
            i % 7,
            i % 10,
            i % 500,
            i % 40
        ));
    }
    measure("CSV", csv.as_bytes())?;
    drop(csv);

    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, name) in ["Performance", "Video URL", "Spend", "Date", "Campaign", "Ad name"].iter().enumerate() {
        sheet.write_string(0, col as u16, *name)?;
    }
    for i in 0..ROWS {
        let row = i + 1;
        sheet.write_number(row, 0, f64::from(i % 7) + f64::from(i % 10) / 10.0)?;
        sheet.write_string(row, 1, format!("https://cdn.example.com/ads/{i}.mp4"))?;
        sheet.write_number(row, 2, f64::from(i % 500) + 0.5)?;
        sheet.write_string(row, 3, format!("2026-03-{:02}", i % 28 + 1))?;
        sheet.write_string(row, 4, format!("Spring sale {}", i % 40))?;
        sheet.write_string(row, 5, format!("Ad number {i}"))?;
    }
    let xlsx = workbook.save_to_buffer()?;
    drop(workbook);
    measure("XLSX", &xlsx)?;
    Ok(())
}

fn measure(kind: &str, bytes: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    // Writing 5 resets the high-water mark to the current resident size (Linux ≥ 4.0).
    std::fs::write("/proc/self/clear_refs", "5")?;
    let before = resident_kib("VmRSS")?;
    let started = Instant::now();
    let sheet = parse_sheet(bytes)?;
    let seconds = started.elapsed().as_secs_f64();
    let peak = resident_kib("VmHWM")?;
    assert_eq!(sheet.total_rows(), ROWS as usize, "every row read");
    assert!(sheet.rejected.is_empty(), "{:?}", sheet.rejected.first());
    println!(
        "{kind}: {ROWS} rows, {:.1} MB file, read in {seconds:.1} s; peak memory {:.0} MB above the {:.0} MB before \
         ({:.1}× the file)",
        bytes.len() as f64 / 1e6,
        (peak - before) as f64 / 1024.0,
        before as f64 / 1024.0,
        (peak - before) as f64 * 1024.0 / bytes.len() as f64,
    );
    Ok(())
}

/// A `/proc/self/status` field in KiB.
fn resident_kib(field: &str) -> Result<u64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with(field)).ok_or("no such field")?;
    Ok(line.split_whitespace().nth(1).ok_or("no value")?.parse()?)
}
