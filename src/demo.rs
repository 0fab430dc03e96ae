//! `cartflow demo`: a first run for a new user, with nothing to prepare.

use std::path::Path;

use anyhow::{Context, Result};
use comfy_table::{presets::UTF8_FULL_CONDENSED, CellAlignment, Table};

use crate::cli::{run_with_progress, DemoArgs};
use crate::engine::Source;
use crate::epochs::Schedule;
use crate::formats::Format;
use crate::gen::{generate_rees46, GenOptions};
use crate::sources::discover;

pub fn demo(args: &DemoArgs, quiet: bool) -> Result<()> {
    let data_dir = args.out.join("data");
    let report_dir = args.out.join("reports");
    let generated =
        generate_rees46(&GenOptions { events: args.events, seed: 42, files: 4, out: data_dir.clone(), gzip: false })?;
    let schedule = Schedule::Batch(vec![discover(std::slice::from_ref(&data_dir))?]);
    let source = Source { format: Format::Rees46.into(), paths: vec![data_dir.clone()] };
    let job = args.engine.job(schedule, vec![source], report_dir.clone(), None, None);
    let workers = job.workers;
    let summary = run_with_progress(job, quiet)?;
    let seconds: f64 = summary.epochs.iter().map(|e| e.seconds).sum();

    println!(
        "cartflow demo: {} clickstream events in {} files, {workers} workers, {seconds:.2}s\n",
        generated.events,
        generated.files.len()
    );
    show(&report_dir, "event_counts", "Events by type", usize::MAX)?;
    show(&report_dir, "top_categories", "Most active categories", 5)?;
    show(&report_dir, "brand_funnel", "Brands by revenue", 5)?;
    show(&report_dir, "session_summary", "Sessions", 1)?;
    println!("sample data:  {}", data_dir.display());
    println!("all reports:  {}  (per-user preferences in user_preferences/part-*.csv)", report_dir.display());
    println!("next: cartflow run --input {} --format rees46 --out <dir>", data_dir.display());
    println!(
        "      cartflow watch --input <landing dir> --format rees46 --out <dir> --state <dir>   (keeps them current)"
    );
    Ok(())
}

/// Prints the first `rows` rows of a written report as an aligned table.
fn show(report_dir: &Path, report: &str, title: &str, rows: usize) -> Result<()> {
    let path = report_dir.join(format!("{report}.csv"));
    let mut reader =
        csv::Reader::from_path(&path).with_context(|| format!("report {}: cannot read it", path.display()))?;
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    let header = reader.headers()?.clone();
    table.set_header(header.iter());
    let records: Vec<csv::StringRecord> = reader.records().take(rows).collect::<Result<_, _>>()?;
    for record in &records {
        table.add_row(record.iter());
    }
    // Quantities read best right-aligned; ids are names, even when they are digits.
    let is_quantity = |i: usize| !header[i].ends_with("_id") && records.iter().all(|r| r[i].parse::<f64>().is_ok());
    for i in (0..header.len()).filter(|&i| is_quantity(i)) {
        if let Some(column) = table.column_mut(i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    println!("{title} ({report}.csv)\n{table}\n");
    Ok(())
}
