//! `git carto config --path <p>`: which `resolve` rule decides a conflict at a
//! path (the most specific glob wins), and where that rule comes from.

use git_carto::error::Result;
use git_carto::repo::config::Config;
use git_carto::sync::policy::Rules;
use git_carto::term::output::print_json;

pub fn run(config: &Config, paths: &[String], json: bool) -> Result<u8> {
    let rules = Rules::from_config(config)?;
    let found: Vec<serde_json::Value> = paths
        .iter()
        .map(|p| {
            let d = rules.decide([p.as_str()]);
            serde_json::json!({
                "path": p,
                "policy": d.policy.name(),
                "rule": d.glob,
                "source": rules.source_of(&d).map(|s| s.to_string()),
            })
        })
        .collect();
    if json {
        print_json(&found)?;
    } else {
        for f in &found {
            git_carto::outln!(
                "{}: {} ({})",
                f["path"].as_str().unwrap_or_default(),
                f["policy"].as_str().unwrap_or_default(),
                match (f["rule"].as_str(), f["source"].as_str()) {
                    (Some(r), Some(s)) => format!(
                        "resolve.{}.path `{r}`, {s}",
                        f["policy"].as_str().unwrap_or_default()
                    ),
                    _ => "no rule matches: a person decides".to_string(),
                }
            )?;
        }
    }
    Ok(0)
}
