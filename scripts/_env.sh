# Sourced by the other scripts: move to the project root, make sure .venv holds the pinned requirements
# (plus any extra requirement files passed as arguments), and point dbt at the project's profile.
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
rfm_requirements=(requirements.txt "$@")
if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv" >&2
    python3 -m venv .venv || { echo "error: could not create .venv (is python3-venv installed?)" >&2; exit 1; }
fi
rfm_stamp=$(cat "${rfm_requirements[@]}" | sha256sum | cut -d' ' -f1)
if ! grep -qx "$rfm_stamp" .venv/.installed 2>/dev/null; then
    echo "==> installing ${rfm_requirements[*]} into .venv" >&2
    for rfm_file in "${rfm_requirements[@]}"; do
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$rfm_file" \
            || { echo "error: pip could not install $rfm_file" >&2; exit 1; }
    done
    echo "$rfm_stamp" >> .venv/.installed
fi
export PATH="$PWD/.venv/bin:$PATH"
if [ -z "${DBT_PROFILES_DIR:-}" ]; then
    [ -f profiles.yml ] || cp profiles.yml.example profiles.yml
    export DBT_PROFILES_DIR="$PWD"
fi
