//! `cargo bench --bench fuzz`: every parser property of `tests/prop` on many generated inputs
//! (default 10,000,000 in all; `KEYWARD_FUZZ_CASES` sets the cases per property).

#[path = "../tests/prop/mod.rs"]
mod prop;

fn main() {
    let per_property: u32 = std::env::var("KEYWARD_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| 10_000_000u32.div_ceil(prop::PROPERTIES.len() as u32));
    let start = std::time::Instant::now();
    match prop::run_all(per_property) {
        Ok(total) => println!(
            "{total} generated inputs across {} parser properties, none panicked ({:.1} s)",
            prop::PROPERTIES.len(),
            start.elapsed().as_secs_f64()
        ),
        Err(e) => {
            eprintln!("a property failed: {e}");
            std::process::exit(1);
        }
    }
}
