use git_carto::error::Result;
use git_carto::release::build;
use git_carto::term::output::print_json;
use git_carto::Fork;

/// Build the image of HEAD with docker buildx and the CI tags.
#[derive(clap::Args)]
pub struct Args {
    /// Push to the registry (refused with uncommitted changes).
    #[arg(long)]
    push: bool,
    /// Platforms, e.g. linux/amd64,linux/arm64 (default: image.platforms).
    #[arg(long, value_name = "platform")]
    platform: Vec<String>,
    /// Import the build cache from here (buildx `--cache-from`, e.g. type=gha).
    #[arg(long, value_name = "spec")]
    cache_from: Option<String>,
    /// Export the build cache here (buildx `--cache-to`, e.g. type=gha,mode=max).
    #[arg(long, value_name = "spec")]
    cache_to: Option<String>,
    /// Print the exact command and run nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the plan (tags, labels, argv) as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(fork: &Fork, a: Args) -> Result<()> {
    let req = build::Request {
        push: a.push,
        platforms: a.platform,
    };
    let mut plan = build::plan(fork, &req)?;
    // The cache options go before the build context, the argv's last word.
    let context = plan.argv.pop();
    for (flag, spec) in [("--cache-from", a.cache_from), ("--cache-to", a.cache_to)] {
        if let Some(spec) = spec {
            plan.argv.extend([flag.to_string(), spec]);
        }
    }
    plan.argv.extend(context);
    if a.json {
        print_json(&plan)?;
    } else {
        git_carto::outln!("{}", plan.latest)?;
        git_carto::outln!("{}", shell_words(&plan.argv))?;
    }
    if a.dry_run {
        return Ok(());
    }
    build::run(&plan)
}

/// The argv as a shell line a user can copy.
fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
