//! `keyward completions SHELL` and `keyward man`: generated from the clap grammar, so they
//! keep up with new commands by themselves.

use std::io;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;
use roff::{Roff, bold, roman};

use super::args::Cli;

/// The completion script for `shell`. Rendered into memory first: clap_complete panics on a
/// failed write, and stdout may be a closed pipe.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "keyward", &mut out);
    out
}

/// The whole grammar with the names man pages use (`keyward-key-create`).
fn built() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Every command below `cmd` with its path (`["key", "create"]`), depth first.
pub fn command_paths(cmd: &clap::Command) -> Vec<(Vec<String>, &clap::Command)> {
    fn walk<'a>(
        cmd: &'a clap::Command,
        path: &mut Vec<String>,
        out: &mut Vec<(Vec<String>, &'a clap::Command)>,
    ) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            path.push(sub.get_name().to_owned());
            out.push((path.clone(), sub));
            walk(sub, path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(cmd, &mut Vec::new(), &mut out);
    out
}

/// The manual page of `keyward` (with a COMMANDS section naming every command, so it is
/// useful alone), or of the command at `path` (`["key", "create"]`).
pub fn man_page(path: &[String]) -> Result<Vec<u8>, String> {
    let root = built();
    let mut cmd = &root;
    for (depth, name) in path.iter().enumerate() {
        cmd = cmd.find_subcommand(name).ok_or_else(|| {
            format!(
                "no command 'keyward {}' (see `keyward --help`)",
                path[..=depth].join(" ")
            )
        })?;
    }
    let mut page = Vec::new();
    render(cmd, &mut page).map_err(|e| e.to_string())?;
    if !path.is_empty() {
        return Ok(page);
    }
    // Every command, before the VERSION section.
    let mut commands = Roff::new();
    commands.control("SH", ["COMMANDS"]);
    for (names, sub) in command_paths(&root) {
        commands.control("TP", []);
        commands.text([bold(format!("keyward {}", names.join(" ")))]);
        if let Some(about) = sub.get_about() {
            commands.text([roman(about.to_string())]);
        }
    }
    let mut commands = commands.render().into_bytes();
    let at = find(&page, b"\n.SH VERSION").map_or(page.len(), |i| i + 1);
    commands.extend_from_slice(&page[at..]);
    page.truncate(at);
    page.extend(commands);
    Ok(page)
}

/// Writes every page (`keyward.1`, `keyward-key.1`, `keyward-key-create.1`, …) into `dir`;
/// returns how many.
pub fn man_pages_into(dir: &Path) -> Result<usize, String> {
    let write = |file: String, text: Vec<u8>| {
        let path = dir.join(file);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    write("keyward.1".into(), man_page(&[])?)?;
    let root = built();
    let subs = command_paths(&root);
    for (names, sub) in &subs {
        let mut page = Vec::new();
        render(sub, &mut page).map_err(|e| e.to_string())?;
        write(format!("keyward-{}.1", names.join("-")), page)?;
    }
    Ok(subs.len() + 1)
}

fn render(cmd: &clap::Command, out: &mut Vec<u8>) -> io::Result<()> {
    clap_mangen::Man::new(cmd.clone()).render(out)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_command_says_what_it_does() {
        let root = super::built();
        let silent: Vec<String> = super::command_paths(&root)
            .into_iter()
            .filter(|(_, cmd)| cmd.get_about().is_none())
            .map(|(path, _)| path.join(" "))
            .collect();
        assert!(silent.is_empty(), "commands without help: {silent:?}");
    }
}
