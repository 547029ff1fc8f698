package io.sessionbroker.testkit;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away certificate authority for TLS tests: every key is made by the JDK's {@code keytool}
 * in a directory the test owns (a {@code @TempDir}) and written out as PEM, the way an operator
 * hands files to the broker. Nothing here is ever committed.
 *
 * <p>Each certificate is signed by this CA with {@code keytool -gencert}; server certificates name
 * {@code 127.0.0.1} and {@code localhost} as subject alternative names, so clients that check the
 * host name (mosquitto, the JDK) accept them.
 */
public final class TestPki {

  private static final String PASS = "changeit";

  private final Path dir;
  private final String name;
  private final Issued ca;

  /**
   * A certificate with its key, as PEM files.
   *
   * @param certFile the certificate, PEM
   * @param keyFile its private key, PKCS#8 PEM
   * @param certificate the certificate, parsed
   */
  public record Issued(Path certFile, Path keyFile, X509Certificate certificate) {}

  private TestPki(Path dir, String name, Issued ca) {
    this.dir = dir;
    this.name = name;
    this.ca = ca;
  }

  /** A new CA called {@code name}, its files in {@code dir}. */
  public static TestPki create(Path dir, String name) {
    Path store = dir.resolve(name + "-ca.p12");
    keytool(
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=" + name,
        "-ext",
        "bc:c",
        "-validity",
        "30",
        "-keystore",
        store.toString());
    Path cert = dir.resolve(name + "-ca.pem");
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        store.toString(),
        "-file",
        cert.toString());
    Path key = writeKey(store, "ca", dir.resolve(name + "-ca.key"));
    return new TestPki(dir, name, new Issued(cert, key, read(cert)));
  }

  /** The CA's own certificate: what clients trust ({@code --cafile}, {@code tls.caFile}). */
  public Issued ca() {
    return ca;
  }

  /** A server certificate for 127.0.0.1 / localhost, valid from now for a day. */
  public Issued server(String file) {
    return issue(file, "localhost", "san=ip:127.0.0.1,dns:localhost", null, 1);
  }

  /** A server certificate whose validity ended yesterday. */
  public Issued expiredServer(String file) {
    return issue(file, "localhost", "san=ip:127.0.0.1,dns:localhost", "-3d", 1);
  }

  /** A client certificate with common name {@code commonName}. */
  public Issued client(String file, String commonName) {
    return issue(file, commonName, "eku=clientAuth", null, 1);
  }

  private Issued issue(
      String file, String commonName, String extension, String startDate, int days) {
    Path store = dir.resolve(name + "-" + file + ".p12");
    Path request = dir.resolve(name + "-" + file + ".csr");
    Path cert = dir.resolve(file + ".pem");
    keytool(
        "-genkeypair",
        "-alias",
        "leaf",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=" + commonName,
        "-keystore",
        store.toString());
    keytool(
        "-certreq", "-alias", "leaf", "-keystore", store.toString(), "-file", request.toString());
    List<String> sign =
        new ArrayList<>(
            List.of(
                "-gencert",
                "-rfc",
                "-alias",
                "ca",
                "-keystore",
                dir.resolve(name + "-ca.p12").toString(),
                "-infile",
                request.toString(),
                "-outfile",
                cert.toString(),
                "-ext",
                extension,
                "-validity",
                String.valueOf(days)));
    if (startDate != null) {
      sign.add("-startdate");
      sign.add(startDate);
    }
    keytool(sign.toArray(String[]::new));
    Path key = writeKey(store, "leaf", dir.resolve(file + ".key"));
    return new Issued(cert, key, read(cert));
  }

  /**
   * Puts {@code issued}'s files where {@code target}'s are, each by an atomic rename, certificate
   * first (as an operator's deploy script would).
   */
  public static void replace(Issued target, Issued issued) throws IOException {
    for (Path[] pair :
        new Path[][] {
          {issued.certFile(), target.certFile()}, {issued.keyFile(), target.keyFile()}
        }) {
      Path staged = pair[1].resolveSibling(pair[1].getFileName() + ".new");
      Files.copy(pair[0], staged, StandardCopyOption.REPLACE_EXISTING);
      Files.move(staged, pair[1], StandardCopyOption.ATOMIC_MOVE);
    }
  }

  /** A client context that trusts the certificates in {@code caFile} (PEM) only. */
  public static SSLContext trusting(Path caFile) {
    return context(caFile, null);
  }

  /** A client context that trusts {@code caFile} and presents {@code client}. */
  public static SSLContext trusting(Path caFile, Issued client) {
    return context(caFile, client);
  }

  private static SSLContext context(Path caFile, Issued client) {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", read(caFile));
      TrustManagerFactory trustManagers =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trustManagers.init(trust);
      KeyManagerFactory keyManagers = null;
      if (client != null) {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        PrivateKey key = readKey(client.keyFile());
        keys.setKeyEntry(
            "client", key, PASS.toCharArray(), new X509Certificate[] {client.certificate()});
        keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, PASS.toCharArray());
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(
          keyManagers == null ? null : keyManagers.getKeyManagers(),
          trustManagers.getTrustManagers(),
          null);
      return context;
    } catch (Exception e) {
      throw new IllegalStateException("cannot build an SSLContext for " + caFile, e);
    }
  }

  private static X509Certificate read(Path pem) {
    try (InputStream in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    } catch (Exception e) {
      throw new IllegalStateException("cannot read certificate " + pem, e);
    }
  }

  private static PrivateKey readKey(Path pem) throws Exception {
    String text = Files.readString(pem);
    String base64 =
        text.replace("-----BEGIN PRIVATE KEY-----", "")
            .replace("-----END PRIVATE KEY-----", "")
            .replaceAll("\\s", "");
    return java.security.KeyFactory.getInstance("EC")
        .generatePrivate(
            new java.security.spec.PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
  }

  /** The private key of {@code alias} in {@code store}, as a PKCS#8 PEM file. */
  private static Path writeKey(Path store, String alias, Path file) {
    try {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      try (InputStream in = new ByteArrayInputStream(Files.readAllBytes(store))) {
        keys.load(in, PASS.toCharArray());
      }
      PrivateKey key = (PrivateKey) keys.getKey(alias, PASS.toCharArray());
      String pem =
          "-----BEGIN PRIVATE KEY-----\n"
              + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                  .encodeToString(key.getEncoded())
              + "\n-----END PRIVATE KEY-----\n";
      Files.writeString(file, pem, StandardCharsets.US_ASCII);
      return file;
    } catch (Exception e) {
      throw new IllegalStateException("cannot export the key of " + store, e);
    }
  }

  private static void keytool(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    command.addAll(List.of("-storepass", PASS, "-storetype", "PKCS12", "-noprompt"));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + output);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run keytool", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running keytool", e);
    }
  }
}
