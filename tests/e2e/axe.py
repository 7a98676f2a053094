"""axe-core in the browser tests: checks a page state against WCAG 2.1 A/AA (the machine
checkable part of JIS X 8341-3:2016 AA).

The script is added as an init script (through the DevTools protocol, so the page's own
Content-Security-Policy, which forbids inline and foreign scripts, stays in force)."""
from pathlib import Path

AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def install_axe(context) -> None:
    """Make `axe` available on every page the context opens from now on."""
    context.add_init_script(path=str(AXE_JS))


def axe_violations(page) -> list[dict]:
    """The WCAG A/AA violations of the page as it is now: [{id, impact, help, targets}]."""
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                targets: v.nodes.map(n => n.target.join(" "))}));
        }""",
        WCAG_AA,
    )


def assert_no_axe_violations(page) -> None:
    violations = axe_violations(page)
    assert violations == [], "\n".join(f"{v['id']} ({v['impact']}): {v['help']} at {v['targets']}"
                                       for v in violations)
