//! `mars log`: list the events of a pier's event log, in either layout (P1, or epochs with a line per epoch).

use crate::eventlog::{Epoch, Layout, OpenOptions, PierLog};
use crate::serial::cue_bytes;
use crate::stack::{NockStack, DEFAULT_STACK_BYTES};
use crate::text::print_bounded;
use crate::text::urbit::{render_da, render_path, render_term};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub struct LogArgs {
    /// The pier directory (holding .urb/log, in the P1 or the epoch layout).
    pier: PathBuf,
    /// First event to list.
    #[arg(long)]
    from: Option<u64>,
    /// Last event to list.
    #[arg(long)]
    to: Option<u64>,
    /// Also print each event's noun (cut off after this many bytes; 0 for none).
    #[arg(long, value_name = "BYTES", default_value_t = 0)]
    nouns: usize,
}

fn span_text(span: Option<(u64, u64)>) -> String {
    span.map_or("-".into(), |(a, b)| format!("{a}..{b}"))
}

/// `epoch 0i<N>: events A..B, format F, vere V, snapshot FILES`.
fn describe_epoch(epoch: &Epoch, span: Option<(u64, u64)>) -> Result<String, String> {
    let snapshot = epoch.snapshot_files().map_err(|e| e.to_string())?;
    let snapshot = if snapshot.is_empty() {
        "none".to_string()
    } else {
        snapshot
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    Ok(format!(
        "epoch 0i{}: events {}, format {}, vere {}, snapshot {snapshot}",
        epoch.number(),
        span_text(span),
        epoch.format().map_or("?".into(), |f| f.to_string()),
        epoch.vere().unwrap_or("?"),
    ))
}

pub fn log(args: LogArgs) -> Result<i32, String> {
    let opts = OpenOptions {
        no_lock: true,
        ..OpenOptions::default()
    };
    let log = PierLog::open(&args.pier, opts).map_err(|e| e.to_string())?;
    let meta = *log.meta();
    let first = log.first().map_err(|e| e.to_string())?;
    let last = log.last().map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    let w = |out: &mut std::io::StdoutLock, s: String| {
        writeln!(out, "{s}").map_err(super::out::stdout_error)
    };
    w(
        &mut out,
        format!(
            "log {}: layout {}, version {} who {} fake {} life {} events {}",
            log.dir().display(),
            log.layout().name(),
            meta.version,
            meta.who,
            if meta.fake { "yes" } else { "no" },
            meta.life,
            span_text(first.map(|f| (f, last)))
        ),
    )?;
    for (n, why) in log.ignored_epochs() {
        w(&mut out, format!("epoch 0i{n}: ignored: {why}"))?;
    }
    let from = args.from.unwrap_or(1).max(1);
    let to = args.to.unwrap_or(last).min(last);
    let mut stack = NockStack::new(DEFAULT_STACK_BYTES)
        .map_err(|e| format!("cannot reserve the NockStack: {e}"))?;
    let base = stack.checkpoint();
    for (i, epoch) in log.epochs().iter().enumerate() {
        let span = log.epoch_span(i).map_err(|e| e.to_string())?;
        if log.layout() == Layout::Epochs {
            w(&mut out, describe_epoch(epoch, span)?)?;
        }
        let Some((a, b)) = span else { continue };
        let (a, b) = (a.max(from), b.min(to));
        if a > b {
            continue;
        }
        for event in log.range(a, b).map_err(|e| e.to_string())? {
            let event = event.map_err(|e| e.to_string())?;
            stack.restore(base);
            let decoded = cue_bytes(&mut stack, &event.jam);
            let text = match (&decoded, args.nouns) {
                (Ok(n), max) if max > 0 => format!("\n    {}", print_bounded(*n, max)),
                _ => String::new(),
            };
            let describe = match decoded {
                Err(e) => format!("undecodable: {e}"),
                Ok(n) if event.number <= meta.life => match n.as_atom() {
                    Some(_) => "boot: atom".to_string(),
                    None => "boot: formula/noun".to_string(),
                },
                Ok(n) => describe_job(n),
            };
            w(
                &mut out,
                format!(
                    "{:>8} mug {:08x} {:>9} B  {describe}{text}",
                    event.number,
                    event.mug,
                    event.jam.len()
                ),
            )?;
        }
    }
    Ok(0)
}

/// `[now [wire [tag data]]]` as `date wire %tag`.
fn describe_job(n: crate::noun::Noun) -> String {
    let Some(job) = n.as_cell() else {
        return "not a [now ovum] job".into();
    };
    let date = job
        .head()
        .as_atom()
        .map(render_da)
        .unwrap_or_else(|| "<bad date>".into());
    let Some(ovum) = job.tail().as_cell() else {
        return format!("{date} <bad ovum>");
    };
    let wire = render_path(ovum.head());
    let tag = ovum
        .tail()
        .as_cell()
        .map(|c| render_term(c.head()))
        .unwrap_or_else(|| render_term(ovum.tail()));
    format!("{date} {wire} %{tag}")
}
