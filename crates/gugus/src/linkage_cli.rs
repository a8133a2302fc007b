//! `gugus linkage run` (the full record-linkage run over every victim) and
//! `gugus linkage train-default` (how the model shipped for small databases,
//! `data/linkage-model.json`, is made from synthetic records).

use anyhow::{Context, Result, bail};
use std::path::Path;
use store::Store;

pub async fn run(store: &Store, actor: &domain::Actor) -> Result<()> {
    let started = std::time::Instant::now();
    let run = store.start_linkage_run(actor).await?;
    let pairs = store.run_linkage(run).await?;
    println!(
        "linkage run {run}: {pairs} candidate pairs above the proposal threshold in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Trains on a synthetic persons CSV (`record_id,full_name,sex,birth_date,nik,regency_code,...`)
/// and writes the model as JSON. Truth columns are not read.
pub fn train_default(input: &Path, out: &Path) -> Result<()> {
    let reader = linkage::csv::open(input).with_context(|| format!("{}", input.display()))?;
    let mut records = Vec::new();
    let mut cols: Option<[usize; 5]> = None;
    let (_, errors) = linkage::csv::for_each_row(reader, |_, header, f| {
        let ix = *cols.get_or_insert_with(|| {
            let p = |n: &str| header.iter().position(|h| h == n).unwrap_or(usize::MAX);
            [
                p("full_name"),
                p("sex"),
                p("birth_date"),
                p("nik"),
                p("regency_code"),
            ]
        });
        let get = |i: usize| f.get(i).map(|s| s.trim()).filter(|s| !s.is_empty());
        records.push(linkage::Record {
            id: records.len() as u64,
            name: get(ix[0]).map(str::to_owned),
            sex: match get(ix[1]) {
                Some("P") => Some(linkage::Sex::Female),
                Some("L") => Some(linkage::Sex::Male),
                _ => None,
            },
            birth: get(ix[2]).and_then(linkage::Date::parse),
            nik: get(ix[3]).map(str::to_owned),
            region: get(ix[4]).map(str::to_owned),
            ..Default::default()
        });
    })?;
    if !errors.is_empty() {
        bail!("{} malformed rows, first: {}", errors.len(), errors[0]);
    }
    let model = linkage::train(&records);
    std::fs::write(out, serde_json::to_string(&model)?)?;
    println!(
        "trained on {} records: lambda {:.3e}; written to {}",
        records.len(),
        model.lambda,
        out.display()
    );
    Ok(())
}
