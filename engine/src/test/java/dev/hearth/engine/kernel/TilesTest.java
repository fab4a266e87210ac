package dev.hearth.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TilesTest {
    @Test
    void panelTilesCoverEveryCountWithFoursAndThreesFromSixOn() {
        for (int panels = 1; panels <= 100; panels++) {
            int covered = 0, single = 0;
            for (int p0 = 0, np; p0 < panels; p0 += np) {
                np = Tiles.tilePanels(panels - p0);
                assertThat(np).as("%d panels, at %d", panels, p0).isBetween(1, 4);
                if (np < 3) single += np;   // left to the tiles of one or two panels
                covered += np;
            }
            assertThat(covered).as("%d panels", panels).isEqualTo(panels);
            int expectedSingle = panels == 1 || panels == 2 ? panels : panels == 5 ? 1 : 0;
            assertThat(single).as("panels left to the tiles of one or two panels of %d", panels).isEqualTo(expectedSingle);
        }
    }
}
