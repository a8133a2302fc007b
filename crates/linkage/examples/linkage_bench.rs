//! Same as `gugus bench linkage`, without building the whole server:
//! `cargo run --release -p linkage --example linkage_bench -- [--json OUT] FILE [FILE2]`
//! With `--save-model OUT` it only trains on the file(s) and writes the model as JSON.
use std::path::PathBuf;

fn main() {
    let mut inputs = Vec::new();
    let mut json = None;
    let mut save_model: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => json = args.next().map(PathBuf::from),
            "--save-model" => save_model = args.next().map(PathBuf::from),
            "--input" => inputs.extend(args.next().map(PathBuf::from)),
            _ => inputs.push(PathBuf::from(a)),
        }
    }
    let result = match &save_model {
        Some(out) => linkage::bench::train_file(&inputs, out),
        None => linkage::bench::run(&inputs, json.as_deref()),
    };
    match result {
        Ok(s) => print!("{s}"),
        Err(e) => {
            eprintln!("linkage bench: {e}");
            std::process::exit(1);
        }
    }
}
