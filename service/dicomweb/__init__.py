"""DICOMweb protocol pieces that know no web framework: media types, the streaming multipart/related reader and
writer, and the DICOM JSON bodies of STOW-RS and QIDO-RS."""
