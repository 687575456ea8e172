use git_carto::error::{Code, Result};
use git_carto::repo::config::{Config, KEYS};
use git_carto::term::output::print_json;
use git_carto::Fork;

use super::Global;

mod path;

/// Show the effective configuration and where each value comes from.
#[derive(clap::Args)]
#[command(after_help = keys_help())]
pub struct Args {
    /// Print the result as JSON (fields: docs/json.md).
    #[arg(long)]
    json: bool,
    /// Say which `resolve` rule decides a conflict at this path (the most
    /// specific glob wins); repeatable.
    #[arg(long = "path", value_name = "path")]
    paths: Vec<String>,
}

fn keys_help() -> String {
    let mut s = String::from("Keys (in .gitcarto, or `git config carto.<key>`):\n");
    for k in KEYS {
        s.push_str(&format!("  {:<26} {}\n", k.name, k.doc));
    }
    s
}

pub fn run(g: &Global, a: Args) -> Result<u8> {
    let config = match Fork::open(&g.cwd()?) {
        Ok(f) => f.config,
        // Outside a repository the defaults still tell the user something.
        Err(e) if e.code == Code::Usage && e.message().starts_with("not a git repository") => {
            Config::defaults()
        }
        Err(e) => return Err(e),
    };
    if !a.paths.is_empty() {
        return path::run(&config, &a.paths, a.json);
    }
    if a.json {
        let map: serde_json::Map<String, serde_json::Value> = config
            .entries()
            .map(|(k, v)| (k.to_string(), serde_json::to_value(v).unwrap_or_default()))
            .collect();
        print_json(&map)?;
    } else {
        for (k, v) in config.entries() {
            git_carto::outln!("{k} = {}    ({})", v.values.join(", "), v.source)?;
        }
    }
    Ok(0)
}
