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
    /// Print the exact command and run nothing.
    #[arg(long)]
    dry_run: bool,
    #[arg(long)]
    json: bool,
}

pub fn run(fork: &Fork, a: Args) -> Result<()> {
    let req = build::Request {
        push: a.push,
        platforms: a.platform,
    };
    let plan = build::plan(fork, &req)?;
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
