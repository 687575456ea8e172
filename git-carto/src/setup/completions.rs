//! Shell completion scripts, generated from the same clap definition as the
//! binary so they can never list a command or flag that does not exist.
//!
//! Users type `git carto <TAB>`, not `git-carto <TAB>`, so each script must
//! plug into git's own completion:
//! - bash: git's completion calls a function `_git_carto` for `git carto`
//!   (and bash-completion loads a file named `git-carto` to find it). The
//!   bash script therefore defines `_git_carto`, which re-frames git's words
//!   as a `git-carto` command line and calls clap's completer.
//! - zsh and fish: their git completions already call the completer of an
//!   external `git-<name>` command, so the script for `git-carto` is enough.

use crate::error::{Error, Result};

/// The shells we write completions for, by the names users type.
pub const SHELLS: &[&str] = &["bash", "zsh", "fish", "powershell"];

/// The command name completions are registered for: git runs `git-carto`.
const BIN: &str = "git-carto";

/// The completion script for `shell`.
pub fn script(cmd: clap::Command, shell: &str) -> Result<String> {
    use clap_complete::Shell;
    let which = match shell {
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        "fish" => Shell::Fish,
        "powershell" => Shell::PowerShell,
        other => {
            return Err(Error::usage(format!(
                "no completions for `{other}`: choose one of {}",
                SHELLS.join(", ")
            )))
        }
    };
    if which == Shell::Bash {
        return bash(cmd);
    }
    let mut cmd = cmd.bin_name(BIN);
    let mut out = Vec::new();
    clap_complete::generate(which, &mut cmd, BIN, &mut out);
    String::from_utf8(out).map_err(|e| Error::refused(format!("completion script: {e}")))
}

/// clap_complete's bash generator spells its internal state labels two
/// different ways when the binary name has a hyphen, so nothing completes
/// after the first word (clap-rs/clap#6421). Generating for a hyphen-free
/// name and registering the result for `git-carto` avoids that: the
/// completer only compares the first word with its own `$1`, whatever it is.
fn bash(cmd: clap::Command) -> Result<String> {
    const INTERNAL: &str = "gitcarto";
    let mut cmd = cmd.bin_name(INTERNAL);
    let mut out = Vec::new();
    clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, INTERNAL, &mut out);
    let text =
        String::from_utf8(out).map_err(|e| Error::refused(format!("completion script: {e}")))?;
    let mut script = String::with_capacity(text.len() + GIT_BRIDGE.len());
    let mut registered = false;
    for line in text.lines() {
        match line.strip_suffix(&format!(" {INTERNAL}")) {
            Some(head) if line.trim_start().starts_with("complete -F") => {
                // `git-carto <TAB>` goes through the same ref completion.
                let head = head.replace(&format!("-F _{INTERNAL} "), "-F _git_carto_dashed ");
                script.push_str(&format!("{head} {BIN}\n"));
                registered = true;
            }
            _ => {
                script.push_str(line);
                script.push('\n');
            }
        }
    }
    if !registered {
        return Err(Error::refused(
            "the bash completion generator changed its output: cannot register it for git-carto",
        ));
    }
    script.push_str(GIT_BRIDGE);
    Ok(script)
}

/// Where each shell finds a user's completion script, for the README and
/// `--help`.
pub const INSTALL_HELP: &str = "\
Install (user-wide):
  bash        git carto completions bash > ~/.local/share/bash-completion/completions/git-carto
  zsh         git carto completions zsh > ~/.zfunc/_git-carto   (with fpath+=~/.zfunc before compinit)
  fish        git carto completions fish > ~/.config/fish/completions/git-carto.fish
  powershell  git carto completions powershell >> $PROFILE
Both `git carto <TAB>` and `git-carto <TAB>` then complete.";

/// The bash bridge between git's completion and clap's completer
/// (`_gitcarto`, see [`bash`]).
///
/// git's completion (`__git_main`) has the whole line in `words`, with the
/// index of `carto` in `__git_cmd_idx`; it registers itself with `-o nospace`
/// and adds the trailing space to each candidate itself, so we do the same.
const GIT_BRIDGE: &str = r#"
# `git carto <TAB>`: git's completion calls _git_carto for the `carto` command.
_git_carto() {
    local idx=${__git_cmd_idx:-1}
    local -a line
    if [[ -n ${words+set} ]]; then
        line=("${words[@]}")
    else
        line=("${COMP_WORDS[@]}")
    fi
    local at=${cword:-$COMP_CWORD}
    if [[ ${line[idx]} != carto ]]; then
        local i
        for ((i = 1; i < at; i++)); do
            if [[ ${line[i]} == carto ]]; then idx=$i; break; fi
        done
    fi
    local COMP_WORDS=("git-carto" "${line[@]:idx+1}")
    local COMP_CWORD=$((at - idx))
    local cur_word=${COMP_WORDS[COMP_CWORD]}
    local prev_word=${COMP_WORDS[COMP_CWORD-1]}
    _gitcarto git-carto "$cur_word" "$prev_word"
    __git_carto_refs
    local j
    for j in "${!COMPREPLY[@]}"; do
        case ${COMPREPLY[j]} in
            *= | */) ;;
            *) [[ -d ${COMPREPLY[j]} ]] && COMPREPLY[j]+=/ || COMPREPLY[j]+=" " ;;
        esac
    done
}

# `git-carto <TAB>` (the dashed name): clap's completer, then the refs.
_git_carto_dashed() {
    _gitcarto "$@"
    __git_carto_refs
}

# What clap's completer cannot know, from the repository: tags after
# `sync --tag`, revisions after `--at`, `--ref`, `--base` and for the range of
# `lint` (both ends of `A..B`). Reads COMP_WORDS/COMP_CWORD as framed for
# git-carto; replaces COMPREPLY only where it applies.
__git_carto_refs() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local sub= i kind=
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -C) ((i++)) ;;
            -*) ;;
            *) sub=${COMP_WORDS[i]}; break ;;
        esac
    done
    case $prev in
        --tag) [[ $sub == sync ]] && kind=tags ;;
        --at | --ref | --base) kind=revs ;;
        *) [[ $sub == lint && $cur != -* && $prev != --* ]] && kind=revs ;;
    esac
    [[ -n $kind ]] || return 0
    local head= part=$cur
    if [[ $cur == *..* ]]; then
        head=${cur%..*}..
        part=${cur##*..}
    fi
    local refs
    if [[ $kind == tags ]]; then
        refs=$(git tag --list 2>/dev/null)
    else
        refs=$(git for-each-ref --format='%(refname:short)' refs/heads refs/tags refs/remotes 2>/dev/null)
        refs+=$'\nHEAD'
    fi
    local IFS=$'\n'
    COMPREPLY=($(compgen -P "$head" -W "$refs" -- "$part"))
}
"#;
