package io.sessionbroker.transports.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/** What watched files look like now, for a {@link CertificateWatch}. */
public final class FileStamps {

  private FileStamps() {}

  /** Size, modification time and file key (inode) of each file; a missing file is "missing". */
  public static List<Object> of(List<Path> files) {
    List<Object> stamp = new ArrayList<>();
    for (Path file : files) {
      try {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        stamp.add(
            List.of(attributes.size(), attributes.lastModifiedTime(), "" + attributes.fileKey()));
      } catch (IOException e) {
        stamp.add("missing");
      }
    }
    return stamp;
  }
}
