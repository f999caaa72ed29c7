package dev.sluice.net;



/** TCP port numbers as written in the configuration. */
public final class Ports {
    private Ports() {
    }

    public static int parse(String text) {
        int port;
        try {
            port = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a port number: '" + text + "'");
        }
        return check(port);
    }

    public static int check(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range 1-65535: " + port);
        }
        return port;
    }
}
