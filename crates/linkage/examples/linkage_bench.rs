//! Same as `gugus bench linkage`, without building the whole server:
//! `cargo run --release -p linkage --example linkage_bench -- [--json OUT] FILE [FILE2]`
use std::path::PathBuf;

fn main() {
    let mut inputs = Vec::new();
    let mut json = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => json = args.next().map(PathBuf::from),
            "--input" => inputs.extend(args.next().map(PathBuf::from)),
            _ => inputs.push(PathBuf::from(a)),
        }
    }
    match linkage::bench::run(&inputs, json.as_deref()) {
        Ok(s) => print!("{s}"),
        Err(e) => {
            eprintln!("linkage bench: {e}");
            std::process::exit(1);
        }
    }
}
