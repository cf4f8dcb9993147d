"""Install ussl_mm, an OpenMMLab 2.x plugin for label-efficient medical
image segmentation through self-supervised pretraining.

The pinned stack lives in ``requirements/``; ``tools/env/setup.sh`` builds a
working environment (mmcv full has no wheel on PyPI and is installed by
``tools/env/install_mmcv.sh``).
"""
import os.path as osp
import re

from setuptools import find_packages, setup


def get_version():
    with open(osp.join('ussl_mm', 'version.py'), encoding='utf-8') as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def parse_requirements(fname):
    reqs = []
    with open(fname, encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                reqs.append(line)
    return reqs


if __name__ == '__main__':
    setup(
        name='ussl_mm',
        version=get_version(),
        description='Self-supervised pretraining for label-efficient medical '
        'image segmentation (OpenMMLab 2.x plugin)',
        long_description=open('README.md', encoding='utf-8').read()
        if osp.exists('README.md') else '',
        long_description_content_type='text/markdown',
        packages=find_packages(exclude=('configs', 'tools', 'tests')),
        python_requires='>=3.8',
        install_requires=parse_requirements('requirements/runtime.txt') +
        parse_requirements('requirements/mmcv.txt'),
        extras_require={
            'tests': parse_requirements('requirements/tests.txt'),
            # nnU-Net 2D baseline row (ussl_mm.baselines.nnunet); optional:
            # +570 MB (SimpleITK alone 264 MB). 2.8.1 is the tested version;
            # it keeps numpy<2 / torch 2.14.1 / opencv<5 (checked with
            # `pip install --dry-run` against requirements/runtime.txt).
            'nnunet': ['nnunetv2==2.8.1'],
        },
        license='Apache License 2.0',
        zip_safe=False)
