use git_carto::error::Result;
use git_carto::setup::completions;

/// Print the completion script for a shell (`git carto <TAB>` completes).
#[derive(clap::Args)]
#[command(after_help = completions::INSTALL_HELP)]
pub struct Args {
    /// bash, zsh, fish or powershell.
    #[arg(value_parser = completions::SHELLS.to_vec())]
    shell: String,
}

pub fn run(a: Args, cmd: clap::Command) -> Result<u8> {
    git_carto::out!("{}", completions::script(cmd, &a.shell)?)?;
    Ok(0)
}
