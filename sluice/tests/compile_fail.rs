//! The compile errors a newcomer meets, pinned: each case in `tests/ui/`
//! must fail to build with exactly the message in its `.stderr` file, and
//! each message must say how to fix the mistake. The messages are rustc's
//! own, so they are pinned for the toolchain CI uses (the one on the
//! machine, rustc 1.95); after a change to a message, or to that
//! toolchain, re-bless with `TRYBUILD=overwrite cargo test -p sluice --test
//! compile_fail` and read the diff.

#[test]
fn mistakes_fail_to_build_with_a_message_that_names_the_fix() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
