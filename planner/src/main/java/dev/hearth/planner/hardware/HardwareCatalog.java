package dev.hearth.planner.hardware;

import dev.hearth.planner.Json;
import dev.hearth.planner.PlannerInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The hardware catalogue: the bundled {@code hardware.json}, or a file of the same layout. */
public record HardwareCatalog(String description, String taken, List<Device> devices) {

    public static final String RESOURCE = "/dev/hearth/planner/hardware.json";

    public static HardwareCatalog builtIn() {
        return Json.readResource(RESOURCE, HardwareCatalog.class).checked("bundled " + RESOURCE);
    }

    /** A user's catalogue file (JSON or YAML), checked for the fields the planner needs. */
    public static HardwareCatalog read(Path file) {
        return Json.readFile(file, HardwareCatalog.class, "hardware catalogue").checked("hardware catalogue " + file);
    }

    private HardwareCatalog checked(String where) {
        if (devices == null || devices.isEmpty()) throw new PlannerInputException(where + " lists no devices");
        for (var d : devices) {
            if (d.id() == null || d.name() == null) throw new PlannerInputException(where + ": every device needs an id and a name");
            if (!(d.memoryGb() > 0)) throw new PlannerInputException(where + ": device " + d.id() + " needs memory_gb > 0");
            if (!(d.usableMemoryFraction() > 0 && d.usableMemoryFraction() <= 1)) {
                throw new PlannerInputException(where + ": device " + d.id() + " needs usable_memory_fraction in (0, 1]");
            }
            if (d.bandwidthGbs() != null && !(d.bandwidthGbs() > 0)) {
                throw new PlannerInputException(where + ": device " + d.id() + " has bandwidth_gbs <= 0");
            }
            if (d.source() == null || d.source().isBlank()) throw new PlannerInputException(where + ": device " + d.id() + " has no source");
        }
        return this;
    }

    /** Looks a device up by id or name, ignoring case, spaces and punctuation ("RTX 4090" finds rtx-4090). */
    public Device find(String name) {
        var want = key(name);
        for (var d : devices) if (key(d.id()).equals(want) || key(d.name()).equals(want)) return d;
        var hits = new ArrayList<Device>();
        for (var d : devices) if (key(d.id()).contains(want) || key(d.name()).contains(want)) hits.add(d);
        if (hits.size() == 1) return hits.getFirst();
        var ids = new ArrayList<String>();
        for (var d : devices) ids.add(d.id());
        if (hits.size() > 1) {
            var amb = new ArrayList<String>();
            for (var d : hits) amb.add(d.id());
            throw new PlannerInputException("device name '" + name + "' matches several devices: " + String.join(", ", amb));
        }
        throw new PlannerInputException("unknown device '" + name + "'; known devices: " + String.join(", ", ids) + ", this-machine");
    }

    private static String key(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    }
}
