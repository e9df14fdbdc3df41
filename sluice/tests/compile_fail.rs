//! The compile errors a newcomer meets, pinned: each case in `tests/ui/`
//! must fail to build with exactly the message in its `.stderr` file, and
//! each message must say how to fix the mistake; the cases in `pass/` must
//! build (and run). The messages are rustc's, so they are pinned for the
//! toolchain CI uses (rustc 1.95). After changing a message, a bound, or the
//! toolchain, re-bless and read the diff:
//! `TRYBUILD=overwrite cargo test -p sluice --test compile_fail`.

#[test]
fn mistakes_fail_to_build_with_a_message_that_names_the_fix() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui/pass/*.rs");
    // `#[debug_handler]` comes with the `macros` feature (on by default).
    if cfg!(feature = "macros") {
        cases.compile_fail("tests/ui/debug_handler/*.rs");
        cases.pass("tests/ui/debug_handler/pass/*.rs");
    }
}
