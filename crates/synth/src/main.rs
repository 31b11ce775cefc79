//! `costwise-synth`: writes the demo account, big CUR exports, and runs the import benchmark.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use costwise_synth::{bench, cur, demo};

#[derive(Parser)]
#[command(name = "costwise-synth", about = "Deterministic synthetic AWS data for costwise", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the demo account snapshot and its oracle.
    Demo {
        /// Snapshot directory to write (replaced).
        #[arg(long, default_value = "fixtures/demo")]
        out: PathBuf,
        /// Oracle JSON to write [default: <out>-oracle.json].
        #[arg(long)]
        oracle: Option<PathBuf>,
        /// Seed.
        #[arg(long, default_value_t = demo::DEMO_SEED)]
        seed: u64,
    },
    /// Write N CUR 2.0 line items as a directory of Parquet parts.
    Cur {
        /// Line items to write.
        #[arg(long)]
        rows: usize,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Import a billing export into a snapshot and compute the spend overview, timing both.
    ImportBench {
        /// CUR/FOCUS file or directory.
        input: PathBuf,
        /// Snapshot directory to write [default: a temporary directory].
        #[arg(long)]
        snapshot: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Demo { out, oracle, seed } => {
            let oracle_path = oracle.unwrap_or_else(|| {
                let name = out.file_name().map_or_else(|| "demo".into(), |n| n.to_string_lossy().into_owned());
                out.with_file_name(format!("{name}-oracle.json"))
            });
            let oracle = demo::generate(&out, &oracle_path, seed)?;
            println!("wrote {} and {}", out.display(), oracle_path.display());
            for (category, cost) in &oracle.spend {
                println!("  {category:<20} ${cost:>10.2}/month");
            }
            println!("  {} planted findings", oracle.findings.len());
        }
        Command::Cur { rows, out, seed } => {
            let export = cur::write_cur2(&out, rows, seed)?;
            println!(
                "wrote {} line items ({} resources) in {} part(s) to {}",
                export.rows,
                export.resources,
                export.parts.len(),
                out.display()
            );
        }
        Command::ImportBench { input, snapshot } => {
            let temp = tempfile::tempdir().context("creating a temporary directory")?;
            let snapshot = snapshot.unwrap_or_else(|| temp.path().join("snapshot"));
            let result = bench::run(&input, &snapshot)?;
            println!("rows:      {}", result.rows);
            println!("import:    {:.2} s", result.import.as_secs_f64());
            println!("  of which read_billing (detect + validate): {:.2} s", result.read.as_secs_f64());
            println!("summarize: {:.2} s", result.summarize.as_secs_f64());
            if let Some(o) = result.overview {
                println!("run rate:  ${:.2}/month over {:.1} days", o.monthly_run_rate, o.window_days);
            }
        }
    }
    Ok(())
}
