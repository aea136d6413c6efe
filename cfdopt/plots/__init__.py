"""Matplotlib figures of the CFD side (the only package there that imports matplotlib)."""


def save_figure(fig, path, title: str = "", title_axes=None, dpi: int = 120) -> None:
    """Title (on ``title_axes`` if given, else the whole figure), tight layout, write ``path``, close ``fig``."""
    import matplotlib.pyplot as plt

    if title:
        (title_axes.set_title if title_axes is not None else fig.suptitle)(title)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
