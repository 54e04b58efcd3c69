"""A tiny vocabulary for the concept tests (`tiny_vocabulary()`, the `tiny` fixture of the test modules): a few descriptors of the real MeSH trees, with lay and
Dutch words."""

from __future__ import annotations

import functools

from trialfinder.concepts.vocabulary import Descriptor, Vocabulary

ROWS = (
    Descriptor("D009369", "Neoplasms", ("C04",), ("Neoplasms", "Tumors", "Tumor", "Cancer", "Cancers"),
               ("tumour",), ("kanker", "tumor"), "condition"),
    Descriptor("D015179", "Colorectal Neoplasms", ("C04.588.274.476.411.307", "C06.405.469.860.180"),
               ("Colorectal Neoplasms", "Colorectal Cancer", "Colorectal Tumors", "Neoplasms, Colorectal"),
               ("bowel cancer",), ("darmkanker",), "condition"),
    Descriptor("D003110", "Colonic Neoplasms", ("C04.588.274.476.411.307.180", "C06.405.469.860.180.500"),
               ("Colonic Neoplasms", "Colon Cancer", "Colon Cancers"), (), ("dikkedarmkanker",), "condition"),
    Descriptor("D008113", "Liver Neoplasms", ("C04.588.274.623", "C06.552.697"),
               ("Liver Neoplasms", "Liver Cancer", "Hepatic Neoplasms"), ("liver metastases",), ("leverkanker",),
               "condition"),
    Descriptor("D009362", "Neoplasm Metastasis", ("C04.697.650",), ("Neoplasm Metastasis", "Metastasis", "Metastases"),
               ("spread", "secondaries"), ("uitzaaiingen",), "qualifier"),
    Descriptor("D009103", "Multiple Sclerosis", ("C10.114.375.600",), ("Multiple Sclerosis", "MS (Multiple Sclerosis)"),
               (), ("multipele sclerose",), "condition"),
    Descriptor("D002289", "Carcinoma, Non-Small-Cell Lung", ("C04.588.894.797.520.109.220",),
               ("Carcinoma, Non-Small-Cell Lung", "Non-Small-Cell Lung Carcinoma", "Non Small Cell Lung Cancer", "NSCLC"),
               (), ("niet-kleincellig longcarcinoom",), "condition"),
    Descriptor("D003920", "Diabetes Mellitus", ("C18.452.394.750", "C19.246"), ("Diabetes Mellitus", "Diabetes"),
               ("sugar diabetes",), ("suikerziekte",), "condition"),
    Descriptor("D003924", "Diabetes Mellitus, Type 2", ("C18.452.394.750.149", "C19.246.300"),
               ("Diabetes Mellitus, Type 2", "Type 2 Diabetes", "Diabetic Ketosis"), (), (), "condition"),
    Descriptor("D003928", "Diabetic Nephropathies", ("C12.200.777.419.192", "C19.246.099.500"),
               ("Diabetic Nephropathies", "Diabetic Kidney Disease"), (), (), "condition"),
    Descriptor("D000544", "Alzheimer Disease", ("C10.228.140.380.100",), ("Alzheimer Disease", "Alzheimer's Disease"),
               ("Alzheimer's",), ("ziekte van alzheimer",), "condition"),
    Descriptor("D008099", "Liver", ("A03.620",), ("Liver", "Livers"), (), ("lever",), "body"),
    Descriptor("D007405", "Intervertebral Disc Displacement", ("C05.116.900.853.625.800.424",),
               ("Intervertebral Disc Displacement", "Slipped Disc"), (), ("hernia", "rughernia"), "condition"),
    Descriptor("D006547", "Hernia", ("C23.300.707",), ("Hernia", "Hernias"), (), ("breuk",), "condition"),
    Descriptor("D004938", "Esophageal Neoplasms", ("C04.588.274.476.318",), ("Esophageal Neoplasms", "Esophageal Cancer"),
               (), ("slokdarmkanker",), "condition"),
    Descriptor("D007938", "Leukemia", ("C04.557.337", "C15.378.400"), ("Leukemia", "Leukemias"), (), ("leukemie",),
               "condition"),
    Descriptor("D005467", "Floxuridine", ("D03.383.742.680.245.400",), ("Floxuridine", "FUDR", "Fluorodeoxyuridine"),
               (), (), "intervention"),
)
ABBREVIATIONS = {"MS": "D009103", "NSCLC": "D002289", "CRC": "D015179", "T2DM": "D003924", "COLD": "D009369"}


@functools.cache
def tiny_vocabulary() -> Vocabulary:
    return Vocabulary.from_rows(ROWS, ABBREVIATIONS, caps_only={"cold"}, known_words={"vaccine": 40, "therapy": 90})
