"""Model pieces the tests share (imported as ``model_helpers``: pytest puts
``tests/`` on ``sys.path`` since it has no ``__init__.py``)."""


def tiny_convnext(out_indices=(1, )) -> dict:
    """A two-stage ConvNeXt with 8 and 16 channels, for Runner tests where
    the data, loss, hooks or head, not the model, are under test."""
    return dict(
        type='ConvNeXt',
        arch=dict(depths=[1, 1], channels=[8, 16]),
        out_indices=out_indices,
        drop_path_rate=0.0)
