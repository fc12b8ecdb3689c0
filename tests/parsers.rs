//! Property tests of every parser of outside input (see `prop/mod.rs`); the `fuzz` bench runs
//! the same properties on a million and more inputs.

mod prop;

#[test]
fn every_parser_of_outside_input_answers_and_never_panics() {
    let total = prop::run_all(512).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(total, 512 * prop::PROPERTIES.len() as u64);
}
