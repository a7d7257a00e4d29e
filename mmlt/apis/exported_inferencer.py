"""``mmlt.apis.exported_inferencer`` as users have imported it: the exported
model's runner now lives in :mod:`mmlt.deploy.exported_inferencer`, beside
the session and preprocessing it uses."""
from mmlt.deploy.exported_inferencer import ExportedInferencer

__all__ = ['ExportedInferencer']
