use git_carto::error::Result;
use git_carto::release;
use git_carto::repo::tag::{parse_upstream_arg, Bump};
use git_carto::term::output::{print_json, Style};
use git_carto::Fork;

/// Tag, notes, GitHub release and images for one release.
#[derive(clap::Args)]
pub struct Args {
    /// patch, minor, major (auto: with the commit rules).
    #[arg(value_parser = ["patch", "minor", "major", "auto"])]
    bump: String,
    /// Upstream version X.Y.Z (checked against the ancestry and version file).
    #[arg(long)]
    upstream: Option<String>,
    /// Release this revision instead of the checked-out production branch.
    #[arg(long = "ref", value_name = "rev")]
    reference: Option<String>,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Allow an upstream version below one already released from this branch.
    #[arg(long)]
    force: bool,
    /// Build the release image from the tag instead of promoting CI's image.
    #[arg(long, conflicts_with = "no_images")]
    rebuild: bool,
    /// Leave images alone.
    #[arg(long)]
    no_images: bool,
    #[arg(long)]
    json: bool,
}

pub fn run(fork: &Fork, a: Args) -> Result<()> {
    let style = Style::detect(Some(&fork.git.repo));
    let opts = release::Options {
        bump: Bump::parse(&a.bump)?,
        upstream: a.upstream.as_deref().map(parse_upstream_arg).transpose()?,
        reference: a.reference,
        force: a.force,
        rebuild: a.rebuild,
        no_images: a.no_images,
    };
    let json = a.json;
    let mut plan = release::plan(fork, &opts)?;
    if a.dry_run {
        if json {
            print_json(&plan)?;
        } else {
            git_carto::out!("{}", release::render(&plan, style))?;
            git_carto::outln!("\nDry run: nothing was changed.")?;
        }
        return Ok(());
    }
    if !json {
        git_carto::out!("{}", release::render(&plan, style))?;
        git_carto::outln!("\nRunning:")?;
    }
    let result = release::run(fork, &mut plan, &mut |step| {
        if !json {
            // A progress line that cannot be written does not stop the release.
            let _ = git_carto::outln!(
                "  {} {:<15} {}",
                release::mark(step.state, style),
                step.name,
                step.result.as_deref().unwrap_or(&step.detail)
            );
        }
    });
    if json {
        print_json(&plan)?;
    }
    result?;
    if !json {
        git_carto::outln!("\nReleased {}.", plan.tag)?;
    }
    Ok(())
}
