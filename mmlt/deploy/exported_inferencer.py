"""Run an exported model (ONNX Runtime) as MMPretrain's inferencer does.

:class:`ExportedInferencer` reads ``preprocess.json`` beside the ``.onnx``
file (see :mod:`mmlt.deploy.preprocess`) and returns, per image, what
MMPretrain's ``ImageClassificationInferencer`` returns: ``pred_scores``
(all class probabilities), ``pred_label``, ``pred_score`` and
``pred_class``. It needs the ``deploy`` extra (onnxruntime), not the
trained model's config or checkpoint.

It lives in ``mmlt.deploy`` beside the session and preprocessing it runs,
so that the deployment code never reaches up into ``mmlt.apis``;
``mmlt.apis.ExportedInferencer`` re-exports it for users.
"""
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from .preprocess import SPEC_FILE, preprocess_batch, read_spec
from .session import create_session

__all__ = ['ExportedInferencer']

ImageInput = Union[str, np.ndarray]


class ExportedInferencer:
    """Classify images with an exported model.

    Args:
        model: The exported ``.onnx`` file (fp32, int8 or fp16).
        preprocess: Its ``preprocess.json``; default the one beside
            ``model``.
        num_threads: ONNX Runtime intra-op threads (default torch's count).
        providers: ONNX Runtime execution providers (default CPU).

    Example:
        >>> inferencer = ExportedInferencer('work_dirs/export/model_int8.onnx')
        >>> inferencer('demo.png')[0]['pred_class']
    """

    def __init__(self,
                 model: str,
                 preprocess: Optional[str] = None,
                 num_threads: Optional[int] = None,
                 providers: Optional[Sequence[str]] = None) -> None:
        if not isinstance(model, str) or not osp.isfile(model):
            raise FileNotFoundError(f'exported model {model!r} does not '
                                    'exist')
        self.spec = read_spec(preprocess or osp.join(
            osp.dirname(osp.abspath(model)), SPEC_FILE))
        self.session = create_session(model, num_threads, providers)
        names = [i.name for i in self.session.get_inputs()]
        if self.spec['input_name'] not in names:
            raise ValueError(f'{model} has input(s) {names}, the '
                             f'preprocessing spec names '
                             f'{self.spec["input_name"]!r}')
        self.input_dtype = (np.float16 if 'float16' in
                            self.session.get_inputs()[0].type else np.float32)
        self.classes: List[str] = list(self.spec['classes'])

    def load_image(self, path: str) -> np.ndarray:
        """Read an image file as MMCV's ``LoadImageFromFile`` does (BGR),
        or as grey levels for a one-channel model."""
        import cv2
        flag = cv2.IMREAD_GRAYSCALE if self.spec['input_shape'][
            0] == 1 else cv2.IMREAD_COLOR
        img = cv2.imread(path, flag) if isinstance(
            path, str) and osp.isfile(path) else None
        if img is None:
            raise FileNotFoundError(f'image {path!r} does not exist or is '
                                    'not a readable image')
        return img

    def predict_scores(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """``(N, C)`` class probabilities of loaded BGR images."""
        batch = preprocess_batch(images, self.spec).astype(self.input_dtype)
        out = self.session.run([self.spec['output_name']],
                               {self.spec['input_name']: batch})[0]
        return np.asarray(out, np.float32)

    def __call__(self, inputs: Union[ImageInput, Sequence[ImageInput]],
                 batch_size: int = 1) -> List[Dict[str, Any]]:
        """Classify an image (path or loaded BGR array) or a list of them.

        Returns:
            One dict per image: ``pred_scores`` (np.ndarray), ``pred_label``
            (int), ``pred_score`` (float), ``pred_class`` (str).
        """
        if isinstance(batch_size, bool) or not isinstance(
                batch_size, int) or batch_size < 1:
            raise ValueError(f'batch_size must be a positive int, got '
                             f'{batch_size!r}')
        if isinstance(inputs, (str, np.ndarray)):
            inputs = [inputs]
        results = []
        for start in range(0, len(inputs), batch_size):
            images = [
                self.load_image(x) if isinstance(x, str) else x
                for x in inputs[start:start + batch_size]
            ]
            for scores in self.predict_scores(images):
                label = int(scores.argmax())
                result = dict(pred_scores=scores, pred_label=label,
                              pred_score=float(scores[label]))
                if label < len(self.classes):
                    result['pred_class'] = self.classes[label]
                results.append(result)
        return results
