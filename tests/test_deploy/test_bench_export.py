"""benchmarks/bench_export.py turns the export tool's report.json into the
section's table and target lines."""
import json

from benchmarks.bench_export import render_section
from mmlt.deploy.report import report_dict


def test_section_from_reports(exported):
    # what the tool writes and the benchmark reads back
    report = json.loads(json.dumps(report_dict(exported), default=float))
    reports = dict(onnx=report, int8_class_balanced=report,
                   int8_instance=report, int8_class_balanced_minmax=report)
    text = '\n'.join(render_section(reports))
    assert '| PyTorch fp32 |' in text and '| ONNX fp32 |' in text
    assert '| int8, class-balanced calibration |' in text
    assert '| int8, instance calibration |' in text
    diff = exported.rows['ONNX fp32']['max_abs_diff']
    assert f'{diff:.1e}, met' in text  # < 1e-4
    ratio = exported.rows['ONNX int8']['throughput_ratio']
    assert f'throughput {ratio:.2f}x' in text
    assert '| int8, class-balanced, MinMax ranges |' in text
    assert text.count('- guard (') == 4
    assert text.count('percentile ranges; calibration images') == 3


def test_run_keys():
    from benchmarks.bench_export import INT8_LABELS, RUNS, run_key
    keys = [run_key(*run) for run in RUNS]
    assert keys == ['onnx'] + list(INT8_LABELS)


def test_title_option(tmp_path):
    from benchmarks import bench_export
    ckpt = tmp_path / 'epoch_60.pth'
    ckpt.write_bytes(b'')
    config = bench_export.ROOT + '/configs/baselines/resnet32_ce_1xb128_' \
        'fashion-mnist-lt1k-ir100.py'
    args = bench_export.parse_args([config, str(ckpt)])
    assert args.title == 'Export: ONNX and int8 against PyTorch'
    args = bench_export.parse_args([config, str(ckpt), '--section',
                                    'export-resnet32', '--title', 'R32'])
    assert (args.section, args.title) == ('export-resnet32', 'R32')
