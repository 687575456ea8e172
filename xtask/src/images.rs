use git_carto::error::Result;
use git_carto::release::images;
use git_carto::term::output::print_json;
use git_carto::Fork;

/// The image tag plan of a release tag.
#[derive(clap::Args)]
pub struct Args {
    tag: String,
    /// Print the result as JSON (fields: docs/json.md).
    #[arg(long)]
    json: bool,
}

pub fn run(fork: &Fork, a: Args) -> Result<()> {
    let plan = images::plan_for(fork, &a.tag)?;
    if a.json {
        print_json(&plan)?;
    } else {
        git_carto::out!("{}", images::render(&plan))?;
    }
    Ok(())
}
